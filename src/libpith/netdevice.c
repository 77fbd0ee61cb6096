/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netdevice.h"
#include "utils.h"

#define NL_MSG_MAX 1024

struct nl_msg
{
  union
  {
    struct nlmsghdr hdr;
    char buf[NL_MSG_MAX];
  };
};

/* The addresses a device keeps across the move: the kernel drops them all
 * when it changes namespace. */
struct saved_addrs
{
  int ifindex;
  struct nl_msg *msgs; /* RTM_NEWADDR requests, ifa_index to be filled in */
  size_t n;
};

static bool
valid_ifname (const char *name, bool template_ok)
{
  size_t len = strlen (name);
  const char *pct = strchr (name, '%');

  if (len == 0 || len >= IFNAMSIZ || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || isspace ((unsigned char) *p))
      return false;
  /* "eth%d": the kernel picks the number. */
  return pct == NULL || (template_ok && pct[1] == 'd' && strchr (pct + 1, '%') == NULL);
}

int
netdevice_validate (const oci_linux *linux, pith_error *err)
{
  const oci_map_net_device *devs = linux->net_devices;
  bool netns = false;

  if (devs == NULL || devs->len == 0)
    return 0;
  for (size_t i = 0; i < linux->namespaces_len; i++)
    netns |= strcmp (linux->namespaces[i]->type, "network") == 0;
  if (!netns)
    return pith_fail (err, 0,
                      "config.json: /linux/netDevices: moving network devices needs a network namespace "
                      "(linux.namespaces has none)");
  for (size_t i = 0; i < devs->len; i++)
    {
      const char *name = devs->values[i]->name;

      if (!valid_ifname (devs->keys[i], false))
        return pith_fail (err, 0, "config.json: /linux/netDevices/%s: not a network interface name", devs->keys[i]);
      if (name && name[0] && !valid_ifname (name, true))
        return pith_fail (err, 0, "config.json: /linux/netDevices/%s/name: \"%s\" is not a network interface name",
                          devs->keys[i], name);
      for (size_t j = 0; j < i; j++)
        {
          const char *other = devs->values[j]->name && devs->values[j]->name[0] ? devs->values[j]->name
                                                                                 : devs->keys[j];
          const char *mine = name && name[0] ? name : devs->keys[i];

          if (strcmp (other, mine) == 0 && strchr (mine, '%') == NULL)
            return pith_fail (err, 0, "config.json: /linux/netDevices/%s: \"%s\" is also the name of %s",
                              devs->keys[i], mine, devs->keys[j]);
        }
    }
  return 0;
}

static struct nlmsghdr *
nl_start (struct nl_msg *m, int type, int flags, const void *body, size_t len)
{
  static unsigned seq;

  memset (m, 0, sizeof *m);
  m->hdr.nlmsg_len = NLMSG_LENGTH (len);
  m->hdr.nlmsg_type = type;
  m->hdr.nlmsg_flags = NLM_F_REQUEST | flags;
  m->hdr.nlmsg_seq = ++seq;
  memcpy (NLMSG_DATA (&m->hdr), body, len);
  return &m->hdr;
}

static void
nl_attr (struct nl_msg *m, int type, const void *data, size_t len)
{
  struct rtattr *a = (struct rtattr *) (m->buf + NLMSG_ALIGN (m->hdr.nlmsg_len));

  /* Requests are built from bounded names and addresses. */
  if (NLMSG_ALIGN (m->hdr.nlmsg_len) + RTA_SPACE (len) > sizeof m->buf)
    abort ();
  a->rta_type = type;
  a->rta_len = RTA_LENGTH (len);
  memcpy (RTA_DATA (a), data, len);
  m->hdr.nlmsg_len = NLMSG_ALIGN (m->hdr.nlmsg_len) + RTA_SPACE (len);
}

typedef int (*nl_cb) (const struct nlmsghdr *h, void *arg);

/* Sends the request and reads until its ACK (or, for a dump, NLMSG_DONE),
 * passing other replies to CB.  -1 with errno set on failure. */
static int
nl_request (int fd, struct nlmsghdr *req, nl_cb cb, void *arg)
{
  static union
  {
    char buf[32768];
    struct nlmsghdr align;
  } reply;

  if (TEMP_FAILURE_RETRY (send (fd, req, req->nlmsg_len, 0)) < 0)
    return -1;
  for (;;)
    {
      ssize_t n = TEMP_FAILURE_RETRY (recv (fd, reply.buf, sizeof reply.buf, 0));
      int len = (int) n;

      if (n < 0)
        return -1;
      for (struct nlmsghdr *h = &reply.align; NLMSG_OK (h, len); h = NLMSG_NEXT (h, len))
        {
          if (h->nlmsg_seq != req->nlmsg_seq)
            continue;
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              const struct nlmsgerr *e = NLMSG_DATA (h);

              if (e->error == 0 && !(req->nlmsg_flags & NLM_F_DUMP))
                return 0;
              errno = -e->error;
              return e->error ? -1 : 0;
            }
          if (cb && cb (h, arg) < 0)
            return -1;
        }
    }
}

static int
nl_open (pith_error *err)
{
  int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

  if (fd < 0)
    return pith_fail (err, errno, "netlink socket");
  return fd;
}

static bool
keep_attr (int type)
{
  return type == IFA_ADDRESS || type == IFA_LOCAL || type == IFA_BROADCAST || type == IFA_FLAGS;
}

static int
collect_addr (const struct nlmsghdr *h, void *arg)
{
  struct saved_addrs *s = arg;
  const struct ifaddrmsg *ifa = NLMSG_DATA (h);
  int len = IFA_PAYLOAD (h);
  uint32_t flags = ifa->ifa_flags;
  struct nl_msg *m;

  if (h->nlmsg_type != RTM_NEWADDR || (int) ifa->ifa_index != s->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return 0;
  for (const struct rtattr *a = IFA_RTA (ifa); RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (a->rta_type == IFA_FLAGS)
      memcpy (&flags, RTA_DATA (a), sizeof flags);
  if (!(flags & IFA_F_PERMANENT))
    return 0;
  s->msgs = xrealloc (s->msgs, (s->n + 1) * sizeof *s->msgs);
  m = &s->msgs[s->n++];
  nl_start (m, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, ifa, sizeof *ifa);
  len = IFA_PAYLOAD (h);
  for (const struct rtattr *a = IFA_RTA (ifa); RTA_OK (a, len); a = RTA_NEXT (a, len))
    if (keep_attr (a->rta_type))
      nl_attr (m, a->rta_type, RTA_DATA (a), RTA_PAYLOAD (a));
  return 0;
}

static int
save_addresses (int nl, const char *dev, struct saved_addrs *s, pith_error *err)
{
  struct ifaddrmsg all = { .ifa_family = AF_UNSPEC };
  struct nl_msg req;

  s->ifindex = (int) if_nametoindex (dev);
  if (s->ifindex == 0)
    return pith_fail (err, errno, "network device `%s`", dev);
  if (nl_request (nl, nl_start (&req, RTM_GETADDR, NLM_F_DUMP, &all, sizeof all), collect_addr, s) < 0)
    return pith_fail (err, errno, "list the addresses of `%s`", dev);
  return 0;
}

static int
move_link (int nl, int ifindex, const char *new_name, int netns_fd, pith_error *err)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
  uint32_t ns = netns_fd;
  struct nl_msg req;

  nl_start (&req, RTM_NEWLINK, NLM_F_ACK, &ifi, sizeof ifi);
  nl_attr (&req, IFLA_NET_NS_FD, &ns, sizeof ns);
  if (new_name)
    nl_attr (&req, IFLA_IFNAME, new_name, strlen (new_name) + 1);
  if (nl_request (nl, &req.hdr, NULL, NULL) < 0)
    return pith_fail (err, errno, "move into the container's network namespace%s%s", new_name ? " as " : "",
                      new_name ? new_name : "");
  return 0;
}

/* Inside the container's namespace: the addresses back, then up. */
static int
restore_link (int nl, int ifindex, struct saved_addrs *s, pith_error *err)
{
  struct ifinfomsg up = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
  struct nl_msg req;

  for (size_t i = 0; i < s->n; i++)
    {
      struct ifaddrmsg *ifa = NLMSG_DATA (&s->msgs[i].hdr);

      ifa->ifa_index = ifindex;
      if (nl_request (nl, &s->msgs[i].hdr, NULL, NULL) < 0 && errno != EEXIST)
        return pith_fail (err, errno, "restore an address");
    }
  if (nl_request (nl, nl_start (&req, RTM_NEWLINK, NLM_F_ACK, &up, sizeof up), NULL, NULL) < 0)
    return pith_fail (err, errno, "set up");
  return 0;
}

/* The moved device as the container's namespace knows it.  A templated
 * name ("eth%d") is not known ahead: the kernel keeps the index when it is
 * free in the new namespace, which it is for a namespace made for us. */
static int
find_moved (const char *name, int old_index, pith_error *err)
{
  char buf[IF_NAMESIZE];
  int idx;

  if (strchr (name, '%') == NULL)
    idx = (int) if_nametoindex (name);
  else
    idx = if_indextoname (old_index, buf) ? old_index : 0;
  if (idx == 0)
    return pith_fail (err, ENODEV, "find `%s` in the container's network namespace", name);
  return idx;
}

/* The kernel moves a device under its old name before renaming it: a
 * name taken in the namespace must be found first, or the device would
 * end up there under its host name. */
static int
check_name_free (int host_ns, int netns_fd, const char *name, pith_error *err)
{
  bool taken;

  if (strchr (name, '%'))
    return 0;
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return pith_fail (err, errno, "enter the container's network namespace");
  taken = if_nametoindex (name) != 0;
  if (setns (host_ns, CLONE_NEWNET) < 0)
    return pith_fail (err, errno, "return to the host's network namespace");
  if (taken)
    return pith_fail (err, EEXIST, "`%s` exists in the container's network namespace", name);
  return 0;
}

static int
move_one (int host_nl, int host_ns, int netns_fd, const char *dev, const char *new_name, pith_error *err)
{
  struct saved_addrs s = { 0 };
  const char *name = new_name && new_name[0] ? new_name : dev;
  int ret = -1, idx;

  if (save_addresses (host_nl, dev, &s, err) < 0 || check_name_free (host_ns, netns_fd, name, err) < 0
      || move_link (host_nl, s.ifindex, name, netns_fd, err) < 0)
    goto out;
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    {
      pith_fail (err, errno, "enter the container's network namespace");
      goto out;
    }
  {
    cleanup_close int nl = nl_open (err);

    idx = nl < 0 ? -1 : find_moved (name, s.ifindex, err);
    ret = idx < 0 ? -1 : restore_link (nl, idx, &s, err);
  }
  /* pith itself must be back on the host's network. */
  if (setns (host_ns, CLONE_NEWNET) < 0)
    ret = pith_fail (err, errno, "return to the host's network namespace");
out:
  free (s.msgs);
  return ret;
}

int
netdevice_move_all (const oci_map_net_device *devices, int netns_fd, pith_error *err)
{
  cleanup_close int host_ns = -1, nl = -1;

  if (devices == NULL || devices->len == 0)
    return 0;
  host_ns = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (host_ns < 0)
    return pith_fail (err, errno, "open /proc/self/ns/net");
  nl = nl_open (err);
  if (nl < 0)
    return -1;
  for (size_t i = 0; i < devices->len; i++)
    if (move_one (nl, host_ns, netns_fd, devices->keys[i], devices->values[i]->name, err) < 0)
      return pith_wrap (err, "config.json: /linux/netDevices/%s", devices->keys[i]);
  return 0;
}
