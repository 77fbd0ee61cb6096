/* linux.resources.devices: one ordered rule list, written as devices.allow
 * and devices.deny lines on v1, and compiled to an eBPF program
 * (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup on v2.  The program
 * is assembled here by hand: it only compares three numbers.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "utils.h"

/* Devices pith itself creates in /dev (and the terminal ones) must stay
 * usable whatever the rules say; -1 is any minor. */
static const struct
{
  char type;
  int major, minor;
} default_devices[] = {
  { 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 },
  { 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 },
};

static int
parse_access (const char *s, unsigned *out)
{
  *out = 0;
  if (s == NULL || s[0] == '\0')
    {
      *out = CGROUP_DEV_ALL;
      return 0;
    }
  for (const char *p = s; *p; p++)
    switch (*p)
      {
      case 'r':
        *out |= CGROUP_DEV_READ;
        break;
      case 'w':
        *out |= CGROUP_DEV_WRITE;
        break;
      case 'm':
        *out |= CGROUP_DEV_MKNOD;
        break;
      default:
        return -1;
      }
  return 0;
}

static void
add_rule (struct cgroup_device_rule **rules, size_t *n, struct cgroup_device_rule rule)
{
  *rules = xrealloc (*rules, (*n + 1) * sizeof **rules);
  (*rules)[(*n)++] = rule;
}

int
cgroup_device_rules (const struct cgroup_plan *plan, const oci_resources *r, struct cgroup_device_rule **rules,
                     size_t *n, pith_error *err)
{
  cleanup_free struct cgroup_device_rule *list = NULL;
  size_t count = 0;

  *rules = NULL;
  *n = 0;
  if (r == NULL || r->devices_len == 0)
    return 0;
  for (size_t i = 0; i < r->devices_len; i++)
    {
      const oci_device_cgroup *d = r->devices[i];
      struct cgroup_device_rule rule = { .allow = d->allow, .type = 'a', .major = -1, .minor = -1 };

      if (d->type && d->type[0])
        {
          if (strcmp (d->type, "a") != 0 && strcmp (d->type, "b") != 0 && strcmp (d->type, "c") != 0)
            return pith_fail (err, EINVAL, "%s/devices/%zu/type: \"%s\" is not a, b or c", plan->source, i, d->type);
          rule.type = d->type[0];
        }
      if (parse_access (d->access, &rule.access) < 0)
        return pith_fail (err, EINVAL, "%s/devices/%zu/access: \"%s\" is not made of r, w and m", plan->source, i,
                          d->access);
      if ((d->major_present && d->major > INT32_MAX) || (d->minor_present && d->minor > INT32_MAX))
        return pith_fail (err, EINVAL, "%s/devices/%zu: device number out of range", plan->source, i);
      if (d->major_present && d->major >= 0)
        rule.major = d->major;
      if (d->minor_present && d->minor >= 0)
        rule.minor = d->minor;
      add_rule (&list, &count, rule);
    }
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    add_rule (&list, &count,
              (struct cgroup_device_rule){ true, default_devices[i].type, default_devices[i].major,
                                           default_devices[i].minor, CGROUP_DEV_ALL });
  /* The nodes of linux.devices were asked for: they must work (as in runc). */
  for (size_t i = 0; i < plan->devices_len; i++)
    {
      const oci_device *d = plan->devices[i];
      char type = strcmp (d->type, "b") == 0 ? 'b' : 'c';

      if (strcmp (d->type, "p") == 0 || !d->major_present || !d->minor_present)
        continue;
      add_rule (&list, &count, (struct cgroup_device_rule){ true, type, d->major, d->minor, CGROUP_DEV_ALL });
    }
  *rules = steal_pointer (&list);
  *n = count;
  return 0;
}

void
cgroup_device_rule_format (const struct cgroup_device_rule *rule, char *buf, size_t size)
{
  char maj[24] = "*", min[24] = "*", access[4] = "";
  size_t a = 0;

  if (rule->major >= 0)
    snprintf (maj, sizeof maj, "%" PRId64, rule->major);
  if (rule->minor >= 0)
    snprintf (min, sizeof min, "%" PRId64, rule->minor);
  if (rule->access & CGROUP_DEV_READ)
    access[a++] = 'r';
  if (rule->access & CGROUP_DEV_WRITE)
    access[a++] = 'w';
  if (rule->access & CGROUP_DEV_MKNOD)
    access[a++] = 'm';
  snprintf (buf, size, "%c %s:%s %s", rule->type, maj, min, access);
}

int
cgroup_v1_devices (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  cleanup_close int allow_fd = -1, deny_fd = -1;
  size_t n;
  char line[96];

  if (cgroup_device_rules (plan, r, &rules, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      const char *file = rules[i].allow ? "devices.allow" : "devices.deny";
      /* One open per file, one write per rule (the kernel takes one rule per write). */
      int *fd = rules[i].allow ? &allow_fd : &deny_fd;

      /* v1 reads "a" as "all devices, all access" whatever follows. */
      if (rules[i].type == 'a')
        strcpy (line, "a");
      else
        cgroup_device_rule_format (&rules[i], line, sizeof line);
      if (*fd < 0)
        *fd = cgroup_open_knob (dir, file, err);
      if (*fd < 0 || cgroup_write_fd (*fd, dir, file, line, err) < 0)
        {
          if (i < r->devices_len)
            return cgroup_resource_error (plan, err, "devices/%zu", i);
          return pith_wrap (err, "allow device `%s`", line);
        }
    }
  return 0;
}

/* ---- eBPF */

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

#define LD_CTX(dst, off) insn (BPF_LDX | BPF_MEM | BPF_W, (dst), BPF_REG_1, (off), 0)
#define ALU32_IMM(op, dst, imm) insn (BPF_ALU | (op) | BPF_K, (dst), 0, 0, (imm))
#define MOV32_REG(dst, src) insn (BPF_ALU | BPF_MOV | BPF_X, (dst), (src), 0, 0)
#define MOV64_IMM(dst, imm) insn (BPF_ALU64 | BPF_MOV | BPF_K, (dst), 0, 0, (imm))
#define JMP_IMM(op, dst, imm, off) insn (BPF_JMP | (op) | BPF_K, (dst), 0, (off), (imm))
#define EXIT() insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Register use: r2 device type, r3 requested access, r4 major, r5 minor, r1 scratch. */
void *
cgroup_device_program (const struct cgroup_device_rule *rules, size_t n_rules, size_t *n)
{
  struct bpf_insn *p = xmalloc ((6 + n_rules * 9 + 2) * sizeof *p);
  size_t k = 0;
  bool catch_all = false;

  p[k++] = LD_CTX (BPF_REG_2, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  p[k++] = ALU32_IMM (BPF_AND, BPF_REG_2, 0xffff);
  p[k++] = LD_CTX (BPF_REG_3, offsetof (struct bpf_cgroup_dev_ctx, access_type));
  p[k++] = ALU32_IMM (BPF_RSH, BPF_REG_3, 16);
  p[k++] = LD_CTX (BPF_REG_4, offsetof (struct bpf_cgroup_dev_ctx, major));
  p[k++] = LD_CTX (BPF_REG_5, offsetof (struct bpf_cgroup_dev_ctx, minor));

  /* The last matching rule decides, so test them from the end. */
  for (size_t i = n_rules; i-- > 0 && !catch_all;)
    {
      const struct cgroup_device_rule *r = &rules[i];
      size_t jumps[4], n_jumps = 0;
      unsigned access = r->access & CGROUP_DEV_ALL;

      if (r->type != 'a')
        {
          jumps[n_jumps++] = k;
          p[k++] = JMP_IMM (BPF_JNE, BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
        }
      if (access != CGROUP_DEV_ALL)
        {
          /* An allow rule must cover all the access asked for; a deny rule
           * applies when it covers any of it (as the v1 controller does). */
          p[k++] = MOV32_REG (BPF_REG_1, BPF_REG_3);
          p[k++] = ALU32_IMM (BPF_AND, BPF_REG_1, r->allow ? (int32_t) (~access & CGROUP_DEV_ALL) : (int32_t) access);
          jumps[n_jumps++] = k;
          p[k++] = JMP_IMM (r->allow ? BPF_JNE : BPF_JEQ, BPF_REG_1, 0, 0);
        }
      if (r->major >= 0)
        {
          jumps[n_jumps++] = k;
          p[k++] = JMP_IMM (BPF_JNE, BPF_REG_4, (int32_t) r->major, 0);
        }
      if (r->minor >= 0)
        {
          jumps[n_jumps++] = k;
          p[k++] = JMP_IMM (BPF_JNE, BPF_REG_5, (int32_t) r->minor, 0);
        }
      p[k++] = MOV64_IMM (BPF_REG_0, r->allow ? 1 : 0);
      p[k++] = EXIT ();
      for (size_t j = 0; j < n_jumps; j++)
        p[jumps[j]].off = (int16_t) (k - jumps[j] - 1);
      /* Rules before one that matches everything can never decide, and the
       * verifier refuses code it cannot reach. */
      catch_all = n_jumps == 0;
    }
  if (!catch_all)
    {
      p[k++] = MOV64_IMM (BPF_REG_0, 0);
      p[k++] = EXIT ();
    }
  *n = k;
  return p;
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
load_program (const struct bpf_insn *prog, size_t n, pith_error *err)
{
  char log[4096] = "";
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t) prog;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uintptr_t) "GPL";
  fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  if (errno == EINVAL || errno == EACCES)
    {
      /* Again with the verifier's log, to say why. */
      attr.log_buf = (uintptr_t) log;
      attr.log_size = sizeof log;
      attr.log_level = 1;
      fd = bpf (BPF_PROG_LOAD, &attr);
      if (fd >= 0)
        return fd;
      log[strcspn (log, "\n")] = '\0';
    }
  return pith_fail (err, errno, "load the device eBPF program%s%s", log[0] ? ": " : "", log);
}

/* Attaches PROG_FD to the cgroup CGFD in place of what pith attached before. */
static int
attach_program (int cgfd, int prog_fd, pith_error *err)
{
  uint32_t ids[64];
  union bpf_attr attr;
  uint32_t old_flags, count;

  memset (&attr, 0, sizeof attr);
  attr.query.target_fd = (uint32_t) cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uintptr_t) ids;
  attr.query.prog_cnt = ARRAY_SIZE (ids);
  if (bpf (BPF_PROG_QUERY, &attr) < 0)
    return pith_fail (err, errno, "query the cgroup's device programs");
  old_flags = attr.query.attach_flags;
  count = attr.query.prog_cnt;

  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) cgfd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* A single program attached without ALLOW_MULTI is replaced by
   * attaching with the same flags. */
  attr.attach_flags = count > 0 && !(old_flags & BPF_F_ALLOW_MULTI) ? old_flags : BPF_F_ALLOW_MULTI;
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    return pith_fail (err, errno, "attach the device eBPF program");
  if (!(attr.attach_flags & BPF_F_ALLOW_MULTI))
    return 0;
  /* The new program is in force: the old ones can go (update). */
  for (uint32_t i = 0; i < count && i < ARRAY_SIZE (ids); i++)
    {
      cleanup_close int old = -1;

      memset (&attr, 0, sizeof attr);
      attr.prog_id = ids[i];
      old = bpf (BPF_PROG_GET_FD_BY_ID, &attr);
      if (old < 0)
        continue;
      memset (&attr, 0, sizeof attr);
      attr.target_fd = (uint32_t) cgfd;
      attr.attach_bpf_fd = (uint32_t) old;
      attr.attach_type = BPF_CGROUP_DEVICE;
      if (bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
        return pith_fail (err, errno, "detach the previous device eBPF program");
    }
  return 0;
}

int
cgroup_v2_devices (const struct cgroup_plan *plan, const char *dir, const oci_resources *r, pith_error *err)
{
  cleanup_free struct cgroup_device_rule *rules = NULL;
  cleanup_free struct bpf_insn *prog = NULL;
  cleanup_close int prog_fd = -1, cgfd = -1;
  size_t n_rules, n;

  if (cgroup_device_rules (plan, r, &rules, &n_rules, err) < 0)
    return -1;
  if (n_rules == 0)
    return 0;
  prog = cgroup_device_program (rules, n_rules, &n);
  prog_fd = load_program (prog, n, err);
  if (prog_fd < 0)
    return cgroup_resource_error (plan, err, "devices");
  cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return pith_fail (err, errno, "open cgroup `%s`", dir);
  /* The cgroup keeps the attached program alive after our fd is closed. */
  if (attach_program (cgfd, prog_fd, err) < 0)
    return cgroup_resource_error (plan, err, "devices");
  return 0;
}
