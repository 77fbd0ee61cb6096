/* The floor: only the kernel work a container needs, with no JSON, no
 * checks and no state — clone into the same namespaces, the same mounts as
 * the benchmark's config, pivot_root, cgroup join, exec — and what the
 * config asks of the process and the runtime-spec of /dev: the device
 * cgroup rules, the /dev symlinks, rlimits, capabilities and
 * no_new_privs.  What pith costs above this is its own overhead.
 *
 *   floor ROOTFS CGROUP_NAME PROGRAM
 *
 * SPDX-License-Identifier: GPL-2.0-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define DIE(what)                                                                                                      \
  do                                                                                                                   \
    {                                                                                                                  \
      perror (what);                                                                                                   \
      _exit (120);                                                                                                     \
    }                                                                                                                  \
  while (0)

static const char *const hierarchies[]
    = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified" };
static const char *const masked[] = { "proc/acpi",          "proc/asound",     "proc/kcore",       "proc/keys",
                                      "proc/latency_stats", "proc/timer_list", "proc/timer_stats", "proc/sched_debug",
                                      "sys/firmware",       "proc/scsi" };
static const char *const readonly[] = { "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger" };

static void
must_mount (const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
  mkdir (dst, 0755);
  if (mount (src, dst, type, flags, data) < 0)
    DIE (dst);
}

static int go_pipe[2];

static int
knob (const char *dir, const char *file)
{
  char path[600];

  snprintf (path, sizeof path, "%.500s/%s", dir, file);
  return open (path, O_WRONLY | O_CLOEXEC);
}

static void
child (const char *rootfs, char **argv)
{
  char go;

  struct stat st;
  char path[512];

  if (mount (NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0 || mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    DIE ("root");
  if (chdir (rootfs) < 0)
    DIE ("chdir");
  must_mount ("proc", "proc", "proc", 0, NULL);
  must_mount ("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  must_mount ("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  must_mount ("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=1777,size=65536k");
  must_mount ("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL);
  must_mount ("sysfs", "sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, NULL);
  must_mount ("tmpfs", "sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, "mode=755");
  for (size_t i = 0; i < sizeof hierarchies / sizeof *hierarchies; i++)
    {
      char host[256];
      snprintf (host, sizeof host, "/sys/fs/cgroup/%s", hierarchies[i]);
      snprintf (path, sizeof path, "sys/fs/cgroup/%s", hierarchies[i]);
      if (stat (host, &st) == 0)
        must_mount (host, path, NULL, MS_BIND, NULL);
    }
  static const struct
  {
    const char *name;
    int major, minor;
  } devs[] = { { "dev/null", 1, 3 }, { "dev/zero", 1, 5 },    { "dev/full", 1, 7 },
               { "dev/random", 1, 8 }, { "dev/urandom", 1, 9 }, { "dev/tty", 5, 0 } };
  umask (0); /* the devices are 0666 */
  for (size_t i = 0; i < sizeof devs / sizeof *devs; i++)
    if (mknod (devs[i].name, S_IFCHR | 0666, makedev (devs[i].major, devs[i].minor)) < 0)
      DIE (devs[i].name);
  for (size_t i = 0; i < sizeof masked / sizeof *masked; i++)
    if (stat (masked[i], &st) == 0)
      {
        if (S_ISDIR (st.st_mode))
          must_mount ("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0");
        else
          must_mount ("dev/null", masked[i], NULL, MS_BIND, NULL);
      }
  for (size_t i = 0; i < sizeof readonly / sizeof *readonly; i++)
    if (stat (readonly[i], &st) == 0)
      {
        must_mount (readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL);
        must_mount (NULL, readonly[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
      }
  if (syscall (SYS_pivot_root, ".", ".") < 0 || umount2 (".", MNT_DETACH) < 0 || chdir ("/") < 0)
    DIE ("pivot_root");
  if (mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    DIE ("readonly root");
  sethostname ("floor", 5);
  static const char *const links[][2] = { { "/proc/self/fd", "dev/fd" },     { "/proc/self/fd/0", "dev/stdin" },
                                          { "/proc/self/fd/1", "dev/stdout" }, { "/proc/self/fd/2", "dev/stderr" },
                                          { "pts/ptmx", "dev/ptmx" } };
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    if (symlink (links[i][0], links[i][1]) < 0)
      DIE (links[i][1]);
  /* Like a runtime, exec only once the parent has put us in the cgroups. */
  close (go_pipe[1]);
  if (read (go_pipe[0], &go, 1) != 1)
    DIE ("wait for cgroup join");
  /* The config's process: RLIMIT_NOFILE, uid/gid 0 without groups, three
   * capabilities in the bounding, effective and permitted sets, no_new_privs. */
  const struct rlimit nofile = { 1024, 1024 };
  const uint32_t keep = 1u << CAP_KILL | 1u << CAP_NET_BIND_SERVICE | 1u << CAP_AUDIT_WRITE;
  struct __user_cap_header_struct head = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct caps[2] = { { keep, keep, 0 }, { 0, 0, 0 } };
  if (setrlimit (RLIMIT_NOFILE, &nofile) < 0 || setgroups (0, NULL) < 0)
    DIE ("rlimit, groups");
  for (int c = 0; prctl (PR_CAPBSET_READ, c, 0, 0, 0) >= 0; c++)
    if (c >= 32 || !(keep & (1u << c)))
      prctl (PR_CAPBSET_DROP, c, 0, 0, 0);
  if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0 || syscall (SYS_capset, &head, caps) < 0
      || prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    DIE ("capabilities");
  execv (argv[0], argv);
  DIE ("execv");
}

int
main (int argc, char **argv)
{
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  char dirs[sizeof hierarchies / sizeof *hierarchies][512];
  int status;
  pid_t pid;

  if (argc < 4)
    {
      fprintf (stderr, "usage: floor ROOTFS CGROUP_NAME PROGRAM [ARGS...]\n");
      return 2;
    }
  if (pipe2 (go_pipe, O_CLOEXEC) < 0)
    DIE ("pipe");
  pid = (pid_t) syscall (SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
  if (pid < 0)
    DIE ("clone");
  if (pid == 0)
    child (argv[1], argv + 3);
  for (size_t i = 0; i < sizeof hierarchies / sizeof *hierarchies; i++)
    {
      char procs[600], buf[16];
      int fd;

      snprintf (dirs[i], sizeof dirs[i], "/sys/fs/cgroup/%s/%s", hierarchies[i], argv[2]);
      if (mkdir (dirs[i], 0755) < 0 && errno != EEXIST)
        {
          dirs[i][0] = '\0';
          continue;
        }
      snprintf (procs, sizeof procs, "%.500s/cgroup.procs", dirs[i]);
      fd = open (procs, O_WRONLY | O_CLOEXEC);
      if (strcmp (hierarchies[i], "cpuset") == 0)
        {
          /* A new v1 cpuset needs cpus and mems before it takes tasks. */
          int c = knob (dirs[i], "cpuset.cpus"), m = knob (dirs[i], "cpuset.mems");
          if (c >= 0 && write (c, "0-1", 3) < 0)
            perror ("cpuset.cpus");
          if (m >= 0 && write (m, "0", 1) < 0)
            perror ("cpuset.mems");
          close (c);
          close (m);
        }
      if (strcmp (hierarchies[i], "devices") == 0)
        {
          /* The config denies all devices; the runtime-spec's default ones are allowed. */
          static const char *const allow[] = { "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",  "c 1:8 rwm", "c 1:9 rwm",
                                               "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm" };
          int d = knob (dirs[i], "devices.deny"), a = knob (dirs[i], "devices.allow");
          if (d >= 0 && write (d, "a", 1) < 0)
            perror ("devices.deny");
          for (size_t k = 0; a >= 0 && k < sizeof allow / sizeof *allow; k++)
            if (write (a, allow[k], strlen (allow[k])) < 0)
              perror ("devices.allow");
          close (d);
          close (a);
        }
      snprintf (buf, sizeof buf, "%d", (int) pid);
      if (fd >= 0 && write (fd, buf, strlen (buf)) < 0)
        perror (procs);
      if (fd >= 0)
        close (fd);
    }
  if (write (go_pipe[1], "g", 1) != 1)
    DIE ("signal the child");
  if (waitpid (pid, &status, 0) < 0)
    DIE ("waitpid");
  for (size_t i = 0; i < sizeof hierarchies / sizeof *hierarchies; i++)
    if (dirs[i][0])
      rmdir (dirs[i]);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
