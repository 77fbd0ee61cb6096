/* Unit tests of the cgroup code that needs no cgroup: the v1 -> v2
 * conversions, the parsers, systemd unit paths, the resource checks on a
 * made-up host, and the device eBPF program (run by a small interpreter of
 * the instructions it uses).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <inttypes.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "utils.h"

#include "tap.h"


static void
test_weights (void)
{
  static const struct
  {
    uint64_t shares, weight;
  } shares[] = { { 0, 0 }, { 1, 1 }, { 2, 1 }, { 512, 59 }, { 1024, 100 }, { 2048, 174 }, { 262144, 10000 },
                 { 1000000, 10000 },
                 /* From the float formula (log2, pow, ceil), which the integer
                  * version matches for every input: the ends, both sides of
                  * 1024, and the values whose 10^e comes nearest an integer
                  * (7913.0000032, 4937.9999978, 8924.000004). */
                 { 3, 2 }, { 4, 2 }, { 100, 17 }, { 1000, 99 }, { 1023, 100 }, { 1025, 101 }, { 4096, 303 },
                 { 100000, 4340 }, { 262143, 10000 }, { 200416, 7914 }, { 116225, 4938 }, { 230091, 8925 },
                 { 226073, 8789 }, { 220620, 8603 } };
  static const struct
  {
    uint64_t blkio, io;
  } io[] = { { 0, 0 }, { 10, 1 }, { 100, 910 }, { 500, 4950 }, { 1000, 10000 } };

  uint64_t prev = 0;
  bool monotonic = true;

  for (size_t i = 0; i < ARRAY_SIZE (shares); i++)
    check (cgroup_shares_to_weight (shares[i].shares) == shares[i].weight, "cpu shares %" PRIu64 " -> weight %" PRIu64,
           shares[i].shares, shares[i].weight);
  for (uint64_t s = 2; s <= 262144 && monotonic; s++)
    {
      uint64_t w = cgroup_shares_to_weight (s);
      monotonic = w >= prev && w <= prev + 1 + prev / 16;
      prev = w;
    }
  check (monotonic, "cpu shares -> weight rises steadily from 1 to 10000");
  for (size_t i = 0; i < ARRAY_SIZE (io); i++)
    check (cgroup_blkio_to_io_weight (io[i].blkio) == io[i].io, "blkio weight %" PRIu64 " -> io.weight %" PRIu64,
           io[i].blkio, io[i].io);
}

static void
test_swap (void)
{
  static const struct
  {
    int64_t swap, memory, out;
    bool ok;
  } cases[] = {
    { 0, -1, -1, true },     /* unlimited memory, no swap value: both unlimited */
    { -1, 100, -1, true },   { 0, 100, 0, true },    { 300, 100, 200, true }, { 100, 100, 0, true },
    { 50, 100, 0, false },   /* below the memory limit */
    { 300, 0, 0, false },    /* no memory limit to subtract */
    { 300, -1, 0, false },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      pith_error err = { 0 };
      int64_t out = 12345;
      int r = cgroup_swap_to_v2 (cases[i].swap, cases[i].memory, &out, &err);

      check (cases[i].ok ? r == 0 && out == cases[i].out : r < 0 && err.msg != NULL,
             "swap %" PRId64 " with memory %" PRId64 " -> %s", cases[i].swap, cases[i].memory,
             cases[i].ok ? "converted" : "refused");
      pith_error_release (&err);
    }
}

static void
test_sizes (void)
{
  static const struct
  {
    const char *s;
    int64_t v;
    bool ok;
  } cases[] = {
    { "1024", 1024, true },      { "512m", 512 << 20, true },  { "512M", 512 << 20, true },
    { "1g", 1 << 30, true },     { "1GiB", 1 << 30, true },    { "1.5k", 1536, true },
    { "2 MB", 2 << 20, true },   { "10b", 10, true },          { "-1", -1, true },
    { "", 0, false },            { "abc", 0, false },          { "1x", 0, false },
    { "-2", 0, false },          { "1.k", 0, false },          { "99999999999999999999", 0, false },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      int64_t v = 0;
      int r = cgroup_parse_size (cases[i].s, &v);
      check (cases[i].ok ? r == 0 && v == cases[i].v : r < 0, "size \"%s\" %s", cases[i].s,
             cases[i].ok ? "parses" : "is refused");
    }
}

static void
test_hugepage_names (void)
{
  static const struct
  {
    const char *in, *out;
  } cases[] = { { "hugepages-2048kB", "2MB" }, { "hugepages-1048576kB", "1GB" }, { "64kB", "64KB" },
                { "hugepages-32768kB", "32MB" }, { "hugepages-x", NULL }, { "2048", NULL } };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *name = cgroup_hugepage_size_name (cases[i].in);
      check (cases[i].out ? name && strcmp (name, cases[i].out) == 0 : name == NULL, "hugepage dir %s -> %s",
             cases[i].in, cases[i].out ? cases[i].out : "(not one)");
    }
}

static void
test_lists (void)
{
  cleanup_free uint16_t *ids = NULL;
  size_t n = 0;

  check (cgroup_parse_list ("0-2,5,7-8\n", &ids, &n) == 0 && n == 6 && ids[0] == 0 && ids[2] == 2 && ids[3] == 5
             && ids[5] == 8,
         "cpu list 0-2,5,7-8");
  free (ids);
  ids = NULL;
  check (cgroup_parse_list ("", &ids, &n) == 0 && n == 0, "empty cpu list");
  check (cgroup_parse_list ("3-1", &ids, &n) < 0, "backward range refused");
  check (cgroup_parse_list ("1,x", &ids, &n) < 0, "garbage refused");
}

static void
test_systemd_paths (void)
{
  static const struct
  {
    const char *in, *path, *unit, *slice;
  } cases[] = {
    { "system.slice:pith:abc", "/system.slice/pith-abc.scope", "pith-abc.scope", "system.slice" },
    { "machine-foo.slice:p:n", "/machine.slice/machine-foo.slice/p-n.scope", "p-n.scope", "machine-foo.slice" },
    { "a-b-c.slice::n", "/a.slice/a-b.slice/a-b-c.slice/n.scope", "n.scope", "a-b-c.slice" },
    { "-.slice:pith:x", "/pith-x.scope", "pith-x.scope", "-.slice" },
    { "system.slice:pith:", "/system.slice/pith-ID.scope", "pith-ID.scope", "system.slice" },
    { "/pith/abc", NULL, NULL, NULL },
    { "a:b", NULL, NULL, NULL },
    { "a:b:c:d", NULL, NULL, NULL },
    { "nope:pith:x", NULL, NULL, NULL },
    { "a--b.slice:pith:x", NULL, NULL, NULL },
    { "system.slice:pith:x.slice", NULL, NULL, NULL },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct cgroup_plan plan;
      pith_error err = { 0 };
      int r;

      memset (&plan, 0, sizeof plan);
      plan.clone_fd = -1;
      r = cgroup_systemd_path (cases[i].in, "ID", &plan, &err);
      if (cases[i].path)
        check (r == 0 && strcmp (plan.path, cases[i].path) == 0 && strcmp (plan.unit, cases[i].unit) == 0
                   && strcmp (plan.slice, cases[i].slice) == 0,
               "systemd cgroupsPath \"%s\" -> %s", cases[i].in, cases[i].path);
      else
        check (r < 0 && contains (err.msg, "/linux/cgroupsPath"), "systemd cgroupsPath \"%s\" refused: %s",
               cases[i].in, err.msg ? err.msg : "(accepted)");
      pith_error_release (&err);
      cgroup_plan_release (&plan);
    }
}

/* ---- resource checks on made-up hosts */

static void
fake_plan (struct cgroup_plan *plan, bool v2, const char *const *controllers, size_t n)
{
  memset (plan, 0, sizeof *plan);
  plan->clone_fd = -1;
  plan->v2 = v2;
  plan->source = "config.json: /linux/resources";
  plan->h = xzalloc (n * sizeof *plan->h);
  for (size_t i = 0; i < n; i++)
    {
      bool unified = strncmp (controllers[i], "2:", 2) == 0;
      plan->h[i].controllers = xstrdup (controllers[i] + (unified ? 2 : 0));
      plan->h[i].unified = unified;
      plan->h[i].dir = xasprintf ("/nonexistent/%zu", i);
    }
  plan->n = n;
}

static void
expect_check (const struct cgroup_plan *plan, const char *json, const char *want_error, const char *what)
{
  cleanup_free char *perr = NULL;
  oci_resources *r = oci_resources_parse_data (json, strlen (json), "resources", &perr);
  pith_error err = { 0 };
  int ret = r ? cgroup_check_resources (plan, r, &err) : -1;

  if (want_error)
    check (ret < 0 && contains (err.msg, want_error), "%s: refused naming %s (%s)", what, want_error,
           err.msg ? err.msg : perr ? perr : "accepted");
  else
    check (ret == 0, "%s: accepted (%s)", what, err.msg ? err.msg : "ok");
  pith_error_release (&err);
  oci_resources_free (r);
}

static void
test_checks (void)
{
  static const char *const v2[] = { "2:cpuset,cpu,io,memory,hugetlb,pids,rdma" };
  static const char *const hybrid[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
                                        "name=systemd", "2:hugetlb" };
  static const char *const v1[] = { "cpu,cpuacct", "memory", "pids" };
  struct cgroup_plan p;

  fake_plan (&p, true, v2, ARRAY_SIZE (v2));
  expect_check (&p, "{\"memory\":{\"limit\":1},\"cpu\":{\"shares\":2,\"cpus\":\"0\"},\"pids\":{\"limit\":3}}", NULL,
                "v2 memory, cpu, cpuset, pids");
  expect_check (&p, "{\"network\":{\"classID\":1}}", "network/classID: cgroup v2 has no net_cls", "v2 network");
  expect_check (&p, "{\"memory\":{\"kernel\":1048576}}", "memory/kernel", "v2 kernel memory");
  expect_check (&p, "{\"unified\":{\"memory.high\":\"1\"}}", NULL, "v2 unified key");
  expect_check (&p, "{\"unified\":{\"../x\":\"1\"}}", "unified/../x", "v2 unified path escape");
  expect_check (&p, "{\"unified\":{\"misc.max\":\"1\"}}", "unified/misc.max", "v2 unified controller missing");
  expect_check (&p, "{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":1}}}", NULL, "v2 rdma");
  expect_check (&p, "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}", NULL, "v2 devices (eBPF)");
  cgroup_plan_release (&p);

  fake_plan (&p, false, hybrid, ARRAY_SIZE (hybrid));
  expect_check (&p, "{\"unified\":{\"memory.high\":\"1\"}}", "hybrid host", "hybrid unified memory key");
  expect_check (&p, "{\"unified\":{\"hugetlb.2MB.max\":\"1\"}}", NULL, "hybrid unified hugetlb key");
  expect_check (&p, "{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}", NULL, "hybrid hugetlb on cgroup2");
  expect_check (&p, "{\"network\":{\"priorities\":[{\"name\":\"eth0\",\"priority\":1}]}}",
                "network/priorities: this host has no cgroup controller", "hybrid without net_prio");
  expect_check (&p, "{\"rdma\":{\"mlx5_0\":{\"hcaHandles\":1}}}", "rdma", "hybrid without rdma");
  cgroup_plan_release (&p);

  fake_plan (&p, false, v1, ARRAY_SIZE (v1));
  expect_check (&p, "{\"unified\":{\"memory.high\":\"1\"}}", "cgroup v1 only", "v1 unified");
  expect_check (&p, "{\"blockIO\":{\"weight\":10}}", "blockIO: this host has no cgroup controller", "v1 without blkio");
  expect_check (&p, "{\"devices\":[{\"allow\":true}]}", "devices", "v1 without devices");
  expect_check (&p, "{\"cpu\":{\"cpus\":\"0\"}}", "cpu/cpus", "v1 without cpuset");
  cgroup_plan_release (&p);
}

/* ---- device rules and the eBPF program */

/* Runs the instructions cgroup_device_program emits. */
static int
run_program (const struct bpf_insn *p, size_t n, uint32_t type, uint32_t access, uint32_t major, uint32_t minor)
{
  struct bpf_cgroup_dev_ctx ctx = { (access << 16) | type, major, minor };
  uint64_t r[11] = { 0 };
  size_t pc = 0;

  for (int steps = 0; pc < n && steps < 10000; steps++)
    {
      const struct bpf_insn *i = &p[pc++];
      uint64_t *dst = &r[i->dst_reg];

      switch (i->code)
        {
        case BPF_LDX | BPF_MEM | BPF_W:
          *dst = *(const uint32_t *) ((const char *) &ctx + i->off);
          break;
        case BPF_ALU | BPF_AND | BPF_K:
          *dst = (uint32_t) (*dst & (uint32_t) i->imm);
          break;
        case BPF_ALU | BPF_RSH | BPF_K:
          *dst = (uint32_t) *dst >> i->imm;
          break;
        case BPF_ALU | BPF_MOV | BPF_X:
          *dst = (uint32_t) r[i->src_reg];
          break;
        case BPF_ALU64 | BPF_MOV | BPF_K:
          *dst = (uint64_t) (int64_t) i->imm;
          break;
        case BPF_JMP | BPF_JNE | BPF_K:
          if (*dst != (uint64_t) (int64_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_JEQ | BPF_K:
          if (*dst == (uint64_t) (int64_t) i->imm)
            pc += i->off;
          break;
        case BPF_JMP | BPF_EXIT:
          return (int) r[0];
        default:
          return -1;
        }
    }
  return -2;
}

static void
test_device_program (void)
{
  const char *json = "{\"devices\":["
                     "{\"allow\":false,\"access\":\"rwm\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rw\"},"
                     "{\"allow\":true,\"type\":\"b\",\"major\":8,\"access\":\"r\"},"
                     "{\"allow\":false,\"type\":\"b\",\"major\":8,\"minor\":1,\"access\":\"w\"}]}";
  cleanup_free char *perr = NULL;
  oci_resources *r = oci_resources_parse_data (json, strlen (json), "resources", &perr);
  struct cgroup_plan plan;
  cleanup_free struct cgroup_device_rule *rules = NULL;
  cleanup_free struct bpf_insn *prog = NULL;
  pith_error err = { 0 };
  size_t n_rules = 0, n = 0;
  char line[64];
  /* type: 1 block, 2 char; access: 1 mknod, 2 read, 4 write (linux/bpf.h). */
  static const struct
  {
    uint32_t type, access, major, minor;
    int want;
    const char *what;
  } cases[] = {
    { 2, 2, 1, 3, 1, "c 1:3 r: a default device" },
    { 2, 1, 136, 7, 1, "c 136:7 m: any pty" },
    { 2, 2 | 4, 10, 200, 1, "c 10:200 rw: allowed" },
    { 2, 1, 10, 200, 0, "c 10:200 m: not in rw" },
    { 2, 2, 10, 201, 0, "c 10:201 r: no rule" },
    { 1, 2, 8, 5, 1, "b 8:5 r: any minor" },
    { 1, 4, 8, 5, 0, "b 8:5 w: only r allowed" },
    { 1, 2, 8, 1, 1, "b 8:1 r: the deny is for w" },
    { 1, 2 | 4, 8, 1, 0, "b 8:1 rw: a deny covering part of it wins" },
    { 2, 2, 7, 0, 1, "c 7:0 r: from linux.devices" },
  };

  memset (&plan, 0, sizeof plan);
  plan.source = "config.json: /linux/resources";
  {
    static oci_device loop = { .type = (char *) "c", .path = (char *) "/dev/x", .major = 7, .major_present = true,
                               .minor = 0, .minor_present = true };
    static oci_device *devs[] = { &loop };
    plan.devices = devs;
    plan.devices_len = 1;
  }
  check (r && cgroup_device_rules (&plan, r, &rules, &n_rules, &err) == 0 && n_rules == 4 + 9 + 1,
         "device rules: 4 from the config, 9 defaults, 1 from linux.devices");
  cgroup_device_rule_format (&rules[1], line, sizeof line);
  check (strcmp (line, "c 10:200 rw") == 0, "v1 rule syntax: %s", line);
  cgroup_device_rule_format (&rules[0], line, sizeof line);
  check (strcmp (line, "a *:* rwm") == 0, "v1 rule syntax: %s", line);
  prog = cgroup_device_program (rules, n_rules, &n);
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    check (run_program (prog, n, cases[i].type, cases[i].access, cases[i].major, cases[i].minor) == cases[i].want,
           "eBPF: %s -> %s", cases[i].what, cases[i].want ? "allow" : "deny");
  free (prog);
  free (rules);
  rules = NULL;

  /* An allow-all last rule: nothing before it can decide, and nothing after
   * it may be emitted (the verifier refuses unreachable code). */
  {
    struct cgroup_device_rule all[] = { { false, 'c', 1, 3, CGROUP_DEV_ALL }, { true, 'a', -1, -1, CGROUP_DEV_ALL } };
    prog = cgroup_device_program (all, 2, &n);
    check (n == 6 + 2 && run_program (prog, n, 2, 2, 1, 3) == 1, "eBPF: allow-all ends the program (%zu insns)", n);
  }
  oci_resources_free (r);
  pith_error_release (&err);

  {
    const char *bad = "{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}";
    oci_resources *rb = oci_resources_parse_data (bad, strlen (bad), "resources", &perr);
    check (rb && cgroup_device_rules (&plan, rb, &rules, &n_rules, &err) < 0 && contains (err.msg, "devices/0/type"),
           "device type x refused: %s", err.msg ? err.msg : "(accepted)");
    pith_error_release (&err);
    oci_resources_free (rb);
  }
}

int
main (void)
{
  test_weights ();
  test_swap ();
  test_sizes ();
  test_hugepage_names ();
  test_lists ();
  test_systemd_paths ();
  test_checks ();
  test_device_program ();
  return tap_finish ();
}
