/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "utils.h"

#define HOOK_OUTPUT_MAX 4096

int
hooks_validate (const oci_hooks *hooks, pith_error *err)
{
  const struct
  {
    const char *name;
    oci_hook **list;
    size_t len;
  } phases[] = {
    { "prestart", hooks->prestart, hooks->prestart_len },
    { "createRuntime", hooks->create_runtime, hooks->create_runtime_len },
    { "createContainer", hooks->create_container, hooks->create_container_len },
    { "startContainer", hooks->start_container, hooks->start_container_len },
    { "poststart", hooks->poststart, hooks->poststart_len },
    { "poststop", hooks->poststop, hooks->poststop_len },
  };

  for (size_t p = 0; p < ARRAY_SIZE (phases); p++)
    for (size_t i = 0; i < phases[p].len; i++)
      {
        const oci_hook *h = phases[p].list[i];

        if (h->path[0] != '/')
          return pith_fail (err, 0, "config.json: /hooks/%s/%zu/path: \"%s\" is not an absolute path",
                            phases[p].name, i, h->path);
        if (h->timeout_present && h->timeout <= 0)
          return pith_fail (err, 0, "config.json: /hooks/%s/%zu/timeout: must be greater than zero", phases[p].name,
                            i);
      }
  return 0;
}

/* The state document as a file to read from: a hook that never reads its
 * stdin cannot block us the way a pipe would. */
static int
state_memfd (const char *state_json, pith_error *err)
{
  cleanup_close int fd = memfd_create ("oci-state", MFD_CLOEXEC);

  if (fd < 0)
    return pith_fail (err, errno, "memfd_create");
  if (write_all (fd, state_json, strlen (state_json)) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    return pith_fail (err, errno, "write hook state");
  return steal_fd (&fd);
}

static int
status_message (pith_error *err, const oci_hook *h, const char *phase, int status, const char *output)
{
  cleanup_free char *how = WIFSIGNALED (status) ? xasprintf ("was killed by signal %d", WTERMSIG (status))
                                                : xasprintf ("exited with status %d", WEXITSTATUS (status));

  if (output[0])
    return pith_fail (err, 0, "%s hook `%s` %s: %s", phase, h->path, how, output);
  return pith_fail (err, 0, "%s hook `%s` %s", phase, h->path, how);
}

static int
run_one (const oci_hook *h, const char *phase, const char *state_json, pith_error *err)
{
  cleanup_close int stdin_fd = state_memfd (state_json, err);
  cleanup_close int pidfd = -1;
  int out[2];
  char output[HOOK_OUTPUT_MAX];
  size_t out_len = 0;
  int timeout_ms = h->timeout_present ? h->timeout * 1000 : -1;
  int status;
  pid_t pid;

  if (stdin_fd < 0)
    return -1;
  if (pipe2 (out, O_CLOEXEC) < 0)
    return pith_fail (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (out[0]);
      close (out[1]);
      return pith_fail (err, errno, "fork %s hook", phase);
    }
  if (pid == 0)
    {
      char *default_argv[] = { h->path, NULL };
      char **argv = default_argv;
      char **envp = xzalloc ((h->env_len + 1) * sizeof *envp);

      /* args[0] is argv[0]; without args the path is. */
      if (h->args_len)
        {
          argv = xzalloc ((h->args_len + 1) * sizeof *argv);
          memcpy (argv, h->args, h->args_len * sizeof *argv);
        }
      if (h->env_len)
        memcpy (envp, h->env, h->env_len * sizeof *envp);
      if (dup2 (stdin_fd, 0) < 0 || dup2 (out[1], 2) < 0)
        _exit (127);
      signal (SIGPIPE, SIG_DFL);
      execve (h->path, argv, envp);
      dprintf (2, "exec: %s", strerror (errno));
      _exit (127);
    }
  close (out[1]);
  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    {
      close (out[0]);
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return pith_fail (err, errno, "pidfd_open");
    }

  /* Collect its stderr (for the error message) until it exits or times out. */
  struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = out[0], .events = POLLIN } };
  uint64_t deadline = timeout_ms >= 0 ? monotonic_usec () + (uint64_t) timeout_ms * 1000 : 0;
  bool exited = false, timed_out = false;

  while (!exited)
    {
      int wait_ms = -1;
      if (timeout_ms >= 0)
        {
          uint64_t now = monotonic_usec ();
          wait_ms = now >= deadline ? 0 : (int) ((deadline - now + 999) / 1000);
        }
      int r = poll (fds, fds[1].fd >= 0 ? 2 : 1, wait_ms);
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        {
          timed_out = true;
          kill (pid, SIGKILL);
          break;
        }
      if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP)))
        {
          char buf[512];
          ssize_t n = read (out[0], buf, sizeof buf);
          if (n <= 0)
            fds[1].fd = -1;
          else
            {
              size_t take = (size_t) n < sizeof output - 1 - out_len ? (size_t) n : sizeof output - 1 - out_len;
              memcpy (output + out_len, buf, take);
              out_len += take;
            }
        }
      if (fds[0].revents & POLLIN)
        exited = true;
    }
  close (out[0]);
  output[out_len] = '\0';
  while (out_len > 0 && (output[out_len - 1] == '\n' || output[out_len - 1] == ' '))
    output[--out_len] = '\0';
  if (TEMP_FAILURE_RETRY (waitpid (pid, &status, 0)) < 0)
    return pith_fail (err, errno, "wait for %s hook `%s`", phase, h->path);
  if (timed_out)
    return pith_fail (err, ETIMEDOUT, "%s hook `%s` timed out after %d s", phase, h->path, h->timeout);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  return status_message (err, h, phase, status, output);
}

int
hooks_run (oci_hook **hooks, size_t n, const char *phase, const char *state_json, pith_error *err)
{
  for (size_t i = 0; i < n; i++)
    if (run_one (hooks[i], phase, state_json, err) < 0)
      return -1;
  return 0;
}
