/* Unit tests of the security and process-field modules: seccomp profiles
 * (validation, compiling, loading in a child, the cache, the notify relay),
 * scheduler, I/O priority, memory policy, CPU lists, SELinux mount data,
 * AppArmor on a host without it, netDevices and idmap validation, and
 * intelRdt on a fake resctrl tree.  Containers are the integration suite's.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apparmor.h"
#include "bitmask.h"
#include "bundle.h"
#include "caps.h"
#include "intelrdt.h"
#include "iopriority.h"
#include "mempolicy.h"
#include "scheduler.h"
#include "seccomp-filter.h"
#include "seccomp-notify.h"
#include "selinux.h"
#include "sync.h"
#include "utils.h"

#include "tap.h"


/* A config with PROCESS_EXTRA inside "process" and LINUX_EXTRA inside
 * "linux" (each a list of members, or ""). */
static oci_config *
config_with (const char *process_extra, const char *linux_extra)
{
  cleanup_free char *json = xasprintf (
      "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},"
      "\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]%s%s},"
      "\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"network\"}]%s%s}}",
      process_extra[0] ? "," : "", process_extra, linux_extra[0] ? "," : "", linux_extra);
  cleanup_free char *parse_err = NULL;
  oci_config *c = oci_config_parse_data (json, strlen (json), "config.json", &parse_err);

  if (c == NULL)
    {
      fprintf (stderr, "bad test config: %s\n%s\n", parse_err, json);
      abort ();
    }
  return c;
}

/* config_validate must refuse the config JSON, with WANT in the message. */
static void
refused_json (const char *json, const char *want)
{
  oci_config *c = oci_config_parse_data (json, strlen (json), "config.json", NULL);
  pith_error err = { 0 };
  int r = c ? config_validate (c, &err) : 0;

  check (c && r < 0 && contains (err.msg, want), "refused with \"%s\": %s", want, err.msg ? err.msg : "(accepted)");
  pith_error_release (&err);
  oci_config_free (c);
}

static void
refused (const char *process_extra, const char *linux_extra, const char *want)
{
  oci_config *c = config_with (process_extra, linux_extra);
  cleanup_free char *json = oci_config_generate (c, 0, NULL);

  refused_json (json, want);
  oci_config_free (c);
}

static void
accepted (const char *process_extra, const char *linux_extra)
{
  oci_config *c = config_with (process_extra, linux_extra);
  pith_error err = { 0 };

  check (config_validate (c, &err) == 0, "accepted: %s%s%s", process_extra, linux_extra,
          err.msg ? err.msg : "");
  pith_error_release (&err);
  oci_config_free (c);
}

static void
test_bitmask (void)
{
  static const char *bad[] = { "a", "3-1", "1,,2", "1-", "-1", "1 2", "70000", "0x1" };
  struct bitmask m;
  pith_error err = { 0 };

  check (bitmask_parse ("0-3,7,64", 1 << 16, &m, &err) == 0 && m.nbits == 65 && m.bits[0] == 0x8f
              && m.bits[1] == 1 && bitmask_bytes (&m) == 16,
          "\"0-3,7,64\" is bits 0-3, 7 and 64");
  bitmask_release (&m);
  check (bitmask_parse ("", 8, &m, &err) == 0 && m.bits == NULL && m.nbits == 0, "an empty list is empty");
  for (size_t i = 0; i < ARRAY_SIZE (bad); i++)
    {
      int r = bitmask_parse (bad[i], 1 << 16, &m, &err);

      check (r < 0 && contains (err.msg, "is not a list of ids"), "\"%s\" is refused: %s", bad[i],
              err.msg ? err.msg : "(accepted)");
      pith_error_release (&err);
    }
}

static void
test_seccomp_validation (void)
{
  static const struct
  {
    const char *seccomp;
    const char *want;
  } cases[] = {
    { "{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "/linux/seccomp/defaultAction: unknown action \"SCMP_ACT_NOPE\"" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":5}",
      "/linux/seccomp/defaultErrnoRet: SCMP_ACT_ALLOW takes no errno" },
    { "{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
      "/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_Z80\"]}",
      "/linux/seccomp/architectures/1: unknown architecture \"SCMP_ARCH_Z80\"" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}",
      "/linux/seccomp/flags/0: unknown flag" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"m\"}",
      "/linux/seccomp/listenerMetadata: set without listenerPath" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
      "/linux/seccomp/listenerPath: required when a rule uses SCMP_ACT_NOTIFY" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"rel\",\"syscalls\":[{\"names\":[\"mkdir\"],"
      "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
      "/linux/seccomp/listenerPath: \"rel\" is not an absolute path" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/s\",\"syscalls\":[{\"names\":[\"mkdir\","
      "\"sendmsg\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
      "/linux/seccomp/syscalls/0/names/1: SCMP_ACT_NOTIFY cannot be used for sendmsg" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"c\"],\"action\":\"SCMP_ACT_TRAP\"},"
      "{\"names\":[\"d\"],\"action\":\"SCMP_ACT_DENY\"}]}",
      "config.json: /linux/seccomp/syscalls/3/action: unknown action \"SCMP_ACT_DENY\"" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_KILL\","
      "\"errnoRet\":1}]}",
      "/linux/seccomp/syscalls/0/errnoRet: SCMP_ACT_KILL takes no errno" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
      "/linux/seccomp/syscalls/0/names: must list at least one syscall" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
      "/linux/seccomp/syscalls/0/args/0/index: 6 is not an argument index" },
    { "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"EQ\"}]}]}",
      "/linux/seccomp/syscalls/0/args/1/op: unknown operator \"EQ\"" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *member = xasprintf ("\"seccomp\":%s", cases[i].seccomp);
      refused ("", member, cases[i].want);
    }
  accepted ("", "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
                "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
                "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":[{\"names\":[\"read\",\"no_such_call\"],"
                "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_TRACE\","
                "\"errnoRet\":3}]}");
}

static oci_seccomp *
profile (const char *json)
{
  cleanup_free char *parse_err = NULL;
  oci_seccomp *s = oci_seccomp_parse_data (json, strlen (json), "seccomp", &parse_err);

  if (s == NULL)
    abort ();
  return s;
}

/* Runs FN in a child under P (no_new_privs set, so no privilege needed);
 * returns the child's wait status. */
static int
in_child_under (const struct seccomp_program *p, int (*fn) (void))
{
  pid_t pid = fork ();
  int status;

  if (pid == 0)
    {
      pith_error err = { 0 };

      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_program_load (p, &err) < 0)
        _exit (100);
      _exit (fn ());
    }
  waitpid (pid, &status, 0);
  return status;
}

/* 0: getppid failed with EXDEV; 1: it worked; 2: something else. */
static int
getppid_probe (long arg0)
{
  long r = syscall (SYS_getppid, arg0, 0, 0, 0, 0, 0);

  return r >= 0 ? 1 : errno == EXDEV ? 0 : 2;
}

static int
probe_arg_5 (void)
{
  return getppid_probe (5) * 10 + getppid_probe (6);
}

static int
probe_plain (void)
{
  return getppid_probe (0);
}

static void
test_seccomp_compile_and_load (void)
{
  pith_context ctx = { 0 };
  pith_error err = { 0 };
  struct seccomp_program p;
  oci_seccomp *s;
  int status, r;

  s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\",\"pith_no_such_call\"],"
               "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18}]}");
  r = seccomp_compile (&ctx, s, "seccomp", -1, &p, &err);
  check (r == 0 && p.len > 0 && p.flags == 0 && !p.notify, "a rule naming an unknown syscall compiles: %s",
          err.msg ? err.msg : "");
  status = in_child_under (&p, probe_plain);
  check (WIFEXITED (status) && WEXITSTATUS (status) == 0, "ERRNO with errnoRet 18 gives EXDEV (status %#x)",
          status);
  seccomp_program_release (&p);
  oci_seccomp_free (s);

  /* Two conditions on one argument become two rules (as in runc): OR. */
  s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
               "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18,\"args\":[{\"index\":0,\"value\":5,\"op\":"
               "\"SCMP_CMP_EQ\"}]}]}");
  check (seccomp_compile (&ctx, s, "seccomp", -1, &p, &err) == 0, "an argument rule compiles");
  status = in_child_under (&p, probe_arg_5);
  check (WIFEXITED (status) && WEXITSTATUS (status) == 1, "SCMP_CMP_EQ 5 blocks 5, lets 6 through (%d)",
          WEXITSTATUS (status));
  seccomp_program_release (&p);
  oci_seccomp_free (s);

  s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
               "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}");
  check (seccomp_compile (&ctx, s, "seccomp", -1, &p, &err) == 0, "KILL_PROCESS compiles");
  status = in_child_under (&p, probe_plain);
  check (WIFSIGNALED (status) && WTERMSIG (status) == SIGSYS, "KILL_PROCESS kills with SIGSYS (status %#x)",
          status);
  seccomp_program_release (&p);
  oci_seccomp_free (s);

  s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"flags\":["
               "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":[{\"names\":"
               "[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
  check (seccomp_compile (&ctx, s, "seccomp", -1, &p, &err) == 0 && p.notify
              && p.flags
                     == (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_TSYNC_ESRCH
                         | (1u << 5)),
          "a notify profile loads with a listener, TSYNC_ESRCH alongside TSYNC (flags %#x)", p.flags);
  seccomp_program_release (&p);
  oci_seccomp_free (s);

  s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}");
  check (seccomp_compile (&ctx, s, "seccomp", -1, &p, &err) == 0 && p.flags == 0,
          "WAIT_KILLABLE_RECV without a listener is left out");
  seccomp_program_release (&p);
  oci_seccomp_free (s);
  pith_error_release (&err);
}

static void
test_seccomp_cache (void)
{
  char tmpl[] = "/tmp/pith-unit-sec.XXXXXX";
  char *root = mkdtemp (tmpl);
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct sock_filter insns[3] = { { 0x20, 0, 0, 4 }, { 0x15, 0, 1, 62 }, { 0x06, 0, 0, SECCOMP_RET_ALLOW } };
  struct seccomp_program stored = { .insns = insns, .len = 3 }, got = { 0 };
  pith_error err = { 0 };
  int dirfd;

  chmod (root, 0700);
  dirfd = seccomp_cache_open (rootfd);
  check (dirfd >= 0, "the cache directory is made in the state root");
  seccomp_cache_store (dirfd, "key one", &stored);
  check (seccomp_cache_lookup (dirfd, "key one", &got) && got.len == 3 && memcmp (got.insns, insns, sizeof insns) == 0,
          "a stored program comes back for the same key");
  seccomp_program_release (&got);
  check (!seccomp_cache_lookup (dirfd, "key two", &got), "another key misses");
  close (dirfd);
  fchmodat (rootfd, ".seccomp-cache", 0755, 0);
  check (seccomp_cache_open (rootfd) < 0, "a cache directory others can read or write is not used");
  remove_tree_at (AT_FDCWD, root, &err);
  pith_error_release (&err);
}

/* The relay as `start` runs it: the container's NUL byte with the fd in,
 * the state and the same fd out to the agent. */
static void
test_notify_relay (void)
{
  oci_seccomp *s = profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/run/agent.sock\","
                            "\"listenerMetadata\":\"meta\\\"data\"}");
  static const char state[] = "{\"ociVersion\":\"1.3.0\",\"id\":\"c1\",\"status\":\"created\",\"pid\":4242,"
                              "\"bundle\":\"/b\",\"annotations\":{\"k\":\"v\"}}";
  int conn[2], agent[2], pipefd[2];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  char data[4096] = "";
  struct iovec iov = { data, sizeof data - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof control.buf };
  pith_error err = { 0 };
  struct stat a, b;
  ssize_t n;
  int r;

  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, conn);
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, agent);
  pipe2 (pipefd, O_CLOEXEC);
  (void) !write (conn[1], "exec: failed", 12);
  check (seccomp_notify_relay (conn[0], agent[0], s, 4242, state, &err) == 0,
          "an error message first is left for the caller");
  close (conn[0]);
  close (conn[1]);
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, conn);
  send_fd (conn[1], pipefd[0], &err);
  r = seccomp_notify_relay (conn[0], agent[0], s, 4242, state, &err);
  check (r == 1, "the notify fd is passed on: %s", err.msg ? err.msg : "");
  n = recvmsg (agent[1], &msg, MSG_CMSG_CLOEXEC);
  check (n > 0 && CMSG_FIRSTHDR (&msg) != NULL, "the agent gets data and an fd");
  if (n > 0 && CMSG_FIRSTHDR (&msg))
    {
      int fd;

      memcpy (&fd, CMSG_DATA (CMSG_FIRSTHDR (&msg)), sizeof fd);
      fstat (fd, &a);
      fstat (pipefd[0], &b);
      check (a.st_ino == b.st_ino, "it is the container's fd");
      close (fd);
    }
  check (contains (data, "\"fds\":[\"seccompFd\"]") && contains (data, "\"pid\":4242")
              && contains (data, "\"metadata\":\"meta\\\"data\"") && contains (data, "\"state\":{") && contains (data, "\"id\":\"c1\"")
              && contains (data, "\"ociVersion\":\"" PITH_OCI_VERSION "\""),
          "the container process state: %s", data);
  close (conn[0]);
  close (conn[1]);
  close (agent[0]);
  close (agent[1]);
  close (pipefd[0]);
  close (pipefd[1]);
  oci_seccomp_free (s);
  pith_error_release (&err);
}

static void
test_process_fields (void)
{
  static const struct
  {
    const char *process;
    const char *want;
  } cases[] = {
    { "\"scheduler\":{\"policy\":\"SCHED_WHATEVER\"}", "/process/scheduler/policy: unknown scheduling policy" },
    { "\"scheduler\":{\"policy\":\"SCHED_ISO\"}", "/process/scheduler/policy: SCHED_ISO is not implemented" },
    { "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":20}", "/process/scheduler/nice: 20 is outside -20..19" },
    { "\"scheduler\":{\"policy\":\"SCHED_FIFO\"}", "/process/scheduler/priority: SCHED_FIFO needs a priority" },
    { "\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"priority\":3}", "only SCHED_FIFO and SCHED_RR take a priority" },
    { "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"runtime\":5}", "are for SCHED_DEADLINE only" },
    { "\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_X\"]}", "/process/scheduler/flags/0" },
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_FAST\"}", "/process/ioPriority/class: unknown I/O class" },
    { "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}", "/process/ioPriority/priority: 8" },
    { "\"execCPUAffinity\":{\"initial\":\"0-\"}", "/process/execCPUAffinity/initial: \"0-\" is not a list" },
    { "\"execCPUAffinity\":{\"final\":\"x\"}", "/process/execCPUAffinity/final" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    refused (cases[i].process, "", cases[i].want);
  accepted ("\"scheduler\":{\"policy\":\"SCHED_RR\",\"priority\":10,\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]},"
            "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_RT\",\"priority\":0},"
            "\"execCPUAffinity\":{\"initial\":\"0\",\"final\":\"0-1\"}",
            "");
  accepted ("\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":1000000,\"deadline\":2000000,"
            "\"period\":2000000}",
            "");
}

static int
pin_to_cpu0 (void)
{
  pith_error err = { 0 };
  cpu_set_t set;

  if (affinity_apply ("0", &err) < 0 || sched_getaffinity (0, sizeof set, &set) < 0)
    return 2;
  return CPU_COUNT (&set) == 1 && CPU_ISSET (0, &set) ? 0 : 1;
}

static void
test_affinity (void)
{
  pid_t pid = fork ();
  pith_error err = { 0 };
  int status;

  if (pid == 0)
    _exit (pin_to_cpu0 ());
  waitpid (pid, &status, 0);
  check (WIFEXITED (status) && WEXITSTATUS (status) == 0, "affinity_apply (\"0\") pins to CPU 0");
  check (affinity_apply (NULL, &err) == 0 && affinity_apply ("", &err) == 0, "no CPU list, no change");
}

static void
test_linux_fields (void)
{
  static const struct
  {
    const char *linux;
    const char *want;
  } cases[] = {
    { "\"memoryPolicy\":{\"mode\":\"MPOL_FAST\"}", "/linux/memoryPolicy/mode: unknown memory policy mode" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}", "/linux/memoryPolicy/nodes: MPOL_BIND needs at least one node" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\",\"nodes\":\"0\"}", "/linux/memoryPolicy/nodes: MPOL_LOCAL takes no" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0-x\"}", "/linux/memoryPolicy/nodes: \"0-x\" is not" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_STATIC_NODES\","
      "\"MPOL_F_RELATIVE_NODES\"]}",
      "exclude each other" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_DEFAULT\",\"flags\":[\"MPOL_F_STATIC_NODES\"]}",
      "MPOL_DEFAULT takes no flags" },
    { "\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_X\"]}",
      "/linux/memoryPolicy/flags/0: unknown memory policy flag" },
    { "\"netDevices\":{\"eth/0\":{}}", "/linux/netDevices/eth/0: not a network interface name" },
    { "\"netDevices\":{\"eth0\":{\"name\":\"averyveryverylongname\"}}", "/linux/netDevices/eth0/name" },
    { "\"netDevices\":{\"eth0\":{\"name\":\"c0\"},\"eth1\":{\"name\":\"c0\"}}", "\"c0\" is also the name of eth0" },
    { "\"intelRdt\":{\"closID\":\"../x\"}", "/linux/intelRdt/closID: \"../x\" is not a resctrl group name" },
    { "\"intelRdt\":{\"memBwSchema\":\"L3:0=1\"}", "/linux/intelRdt/memBwSchema: must start with \"MB:\"" },
    { "\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"ADDR_NO_RANDOMIZE\"]}",
      "/linux/personality/flags/0: unknown personality flag" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    refused ("", cases[i].linux, cases[i].want);
  accepted ("", "\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0-1\",\"flags\":[\"MPOL_F_STATIC_NODES\"]},"
                "\"netDevices\":{\"eth0\":{\"name\":\"ctr%d\"},\"eth1\":{}},\"intelRdt\":{\"closID\":\"gold\"}");
  /* netDevices without a network namespace of the container's own. */
  refused_json ("{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"]},"
                "\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],\"netDevices\":{\"eth0\":{}}}}",
                "/linux/netDevices: moving network devices needs a network namespace");
}

static void
test_idmap_validation (void)
{
  static const char map[] = "[{\"containerID\":0,\"hostID\":1000,\"size\":10}]";
  cleanup_free char *tmpfs_idmap = xasprintf ("{\"destination\":\"/t\",\"type\":\"tmpfs\",\"options\":[\"idmap\"],"
                                              "\"uidMappings\":%s,\"gidMappings\":%s}",
                                              map, map);
  cleanup_free char *uid_only = xasprintf ("{\"destination\":\"/b\",\"source\":\"/tmp\",\"options\":[\"rbind\","
                                           "\"ridmap\"],\"uidMappings\":%s}",
                                           map);
  const struct
  {
    const char *mount;
    const char *want;
  } cases[] = {
    { tmpfs_idmap, "/mounts/0: only bind mounts can be idmapped" },
    { uid_only, "/mounts/0/gidMappings: uidMappings and gidMappings go together" },
    { "{\"destination\":\"/b\",\"source\":\"/tmp\",\"options\":[\"bind\",\"idmap\"]}",
      "/mounts/0/options: idmap without uidMappings/gidMappings takes the mapping of a new user namespace" },
  };

  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      cleanup_free char *json = xasprintf ("{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"process\":{"
                                           "\"cwd\":\"/\",\"args\":[\"sh\"]},\"mounts\":[%s],\"linux\":{"
                                           "\"namespaces\":[{\"type\":\"mount\"}]}}",
                                           cases[i].mount);
      refused_json (json, cases[i].want);
    }
}

static void
test_selinux_and_apparmor (void)
{
  pith_error err = { 0 };
  cleanup_free char *a = selinux_mount_data (NULL, "system_u:object_r:container_file_t:s0:c1,c2");
  cleanup_free char *b = selinux_mount_data ("size=64k,mode=755", "l");
  cleanup_free char *c = selinux_mount_data ("size=64k", NULL);
  cleanup_free char *d = selinux_mount_data (NULL, "");

  check (a && strcmp (a, "context=\"system_u:object_r:container_file_t:s0:c1,c2\"") == 0, "context= alone: %s", a);
  check (b && strcmp (b, "size=64k,mode=755,context=\"l\"") == 0, "context= after the options: %s", b);
  check (c && strcmp (c, "size=64k") == 0 && d == NULL, "no label, no context=");
  check (!selinux_type_takes_context ("proc") && !selinux_type_takes_context ("sysfs")
              && !selinux_type_takes_context ("cgroup2") && selinux_type_takes_context ("tmpfs")
              && selinux_type_takes_context ("mqueue"),
          "proc, sysfs and cgroups label themselves; tmpfs and mqueue take context=");
  if (apparmor_enabled ())
    check (true, "# SKIP AppArmor is enabled here: the disabled-host refusal is not testable");
  else
    {
      int r = apparmor_check ("myprofile", "config.json: /process/apparmorProfile", &err);

      check (r < 0
                  && contains (err.msg, "config.json: /process/apparmorProfile: cannot apply AppArmor profile "
                                   "\"myprofile\": AppArmor is not enabled on this host"),
              "an AppArmor profile on a host without AppArmor is refused: %s", err.msg);
      pith_error_release (&err);
    }
  check (apparmor_check ("", "p", &err) == 0 && apparmor_check (NULL, "p", &err) == 0, "no profile, no check");
  {
    char *effective[] = { "CAP_KILL", "CAP_SYS_ADMIN" };
    check (caps_list_has (effective, 2, "CAP_SYS_ADMIN") && !caps_list_has (effective, 1, "CAP_SYS_ADMIN"),
            "caps_list_has");
  }
}

static void
write_at (int dirfd, const char *name, const char *data)
{
  int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0 || write_all (fd, data, strlen (data)) < 0)
    abort ();
  close (fd);
}

static void
test_intelrdt (void)
{
  char tmpl[] = "/tmp/pith-unit-rdt.XXXXXX";
  char *root = mkdtemp (tmpl);
  char state_tmpl[] = "/tmp/pith-unit-state.XXXXXX";
  char *state = mkdtemp (state_tmpl);
  cleanup_close int rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int statefd = open (state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *tasks = NULL, *schemata = NULL;
  static char *lines[] = { "L2:0=f" };
  oci_intel_rdt gold = { .clos_id = "gold", .l3_cache_schema = "L3:0=ff\nMB:0=10", .mem_bw_schema = "MB:0=50",
                         .schemata = lines, .schemata_len = 1 };
  oci_intel_rdt silver = { .clos_id = "silver" };
  oci_intel_rdt fresh = { .l3_cache_schema = "L3:0=f" };
  pith_error err = { 0 };
  int groupfd, r;

  /* A fake resctrl: a group is a directory with schemata and tasks. */
  mkdirat (rootfd, "gold", 0755);
  groupfd = openat (rootfd, "gold", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  write_at (groupfd, "schemata", "L3:0=ff\nMB:0=50\n");
  write_at (groupfd, "tasks", "");
  r = intelrdt_enter (&gold, root, "c1", 4242, statefd, &err);
  check (r == 0, "join an existing closID whose schemata match (MB: of l3CacheSchema gives way): %s",
          err.msg ? err.msg : "");
  read_file_at (groupfd, "tasks", 64, &tasks, NULL, &err);
  read_file_at (groupfd, "schemata", 256, &schemata, NULL, &err);
  check (tasks && strcmp (tasks, "4242") == 0, "the pid is in tasks");
  check (schemata && str_has_prefix (schemata, "L2:0=f"), "the schemata lines are written");
  r = intelrdt_join (&gold, root, "c1", 77, &err);
  free (tasks);
  tasks = NULL;
  read_file_at (groupfd, "tasks", 64, &tasks, NULL, &err);
  check (r == 0 && tasks && str_has_prefix (tasks, "77"), "a process joining later goes into the group");
  write_at (groupfd, "schemata", "L3:0=1\n");
  r = intelrdt_enter (&gold, root, "c1", 4242, statefd, &err);
  check (r < 0 && contains (err.msg, "exists with other schemata"),
          "an existing closID with other schemata is an error: %s", err.msg);
  check (faccessat (statefd, INTELRDT_RECORD, F_OK, 0) < 0, "a group that existed is not recorded for removal");
  close (groupfd);
  pith_error_release (&err);
  r = intelrdt_enter (&silver, root, "c2", 1, statefd, &err);
  check (r < 0 && contains (err.msg, "the group must exist"), "a closID without schema needs its group: %s", err.msg);
  pith_error_release (&err);
  r = intelrdt_enter (&fresh, root, "c3", 1, statefd, &err);
  check (r < 0 && faccessat (rootfd, "c3", F_OK, 0) < 0,
          "a group made for the container goes again when joining fails: %s", err.msg);
  pith_error_release (&err);
  mkdirat (rootfd, "c4", 0755);
  {
    cleanup_free char *record = xasprintf ("%s/c4\n", root);
    write_at (statefd, INTELRDT_RECORD, record);
  }
  check (intelrdt_destroy (statefd, &err) == 0 && faccessat (rootfd, "c4", F_OK, 0) < 0,
          "delete removes the recorded groups");
  unlinkat (statefd, INTELRDT_RECORD, 0);
  check (intelrdt_destroy (statefd, &err) == 0, "no record, nothing to do");
  remove_tree_at (AT_FDCWD, root, &err);
  remove_tree_at (AT_FDCWD, state, &err);
  pith_error_release (&err);
}

int
main (void)
{
  test_bitmask ();
  test_seccomp_validation ();
  test_seccomp_compile_and_load ();
  test_seccomp_cache ();
  test_notify_relay ();
  test_process_fields ();
  test_affinity ();
  test_linux_fields ();
  test_idmap_validation ();
  test_selinux_and_apparmor ();
  test_intelrdt ();
  return tap_finish ();
}
