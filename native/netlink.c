/* SSSonector shim, routes and addresses through rtnetlink, and the netlink agent that keeps
 * CAP_NET_ADMIN after the privilege drop. See netlink.h. */
#define _GNU_SOURCE
#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* Longest the kernel may take to answer one request before the call fails with -EAGAIN. */
#define NL_TIMEOUT_SECONDS 5
/* Receive buffer: the kernel sizes a dump's messages to what recvmsg offers, at most 32 KiB
 * (netlink_recvmsg), so one read never needs more. On the calling thread's stack. */
#define NL_RECV_BUFFER 32768
/* A request: header, rtmsg or ifaddrmsg and a few attributes of at most 16 bytes each. */
#define NL_REQUEST_BUFFER 256

/* ---- requests ------------------------------------------------------------------------------ */

struct request {
  union {
    struct nlmsghdr header;
    uint8_t bytes[NL_REQUEST_BUFFER];
  };
};

static void *request_body(struct request *r, uint16_t type, uint16_t flags, size_t body) {
  memset(r, 0, sizeof *r);
  r->header.nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
  r->header.nlmsg_type = type;
  r->header.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
  return NLMSG_DATA(&r->header);
}

static void add_attr(struct request *r, uint16_t type, const void *data, size_t len) {
  uint32_t at = NLMSG_ALIGN(r->header.nlmsg_len);
  struct rtattr *attr = (struct rtattr *)(r->bytes + at);
  attr->rta_type = type;
  attr->rta_len = (uint16_t)RTA_LENGTH(len);
  memcpy(RTA_DATA(attr), data, len);
  r->header.nlmsg_len = at + (uint32_t)RTA_ALIGN(attr->rta_len);
  /* Every request here holds at most four attributes of 16 bytes: far below the buffer. */
}

/* ---- socket -------------------------------------------------------------------------------- */

static int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -errno;
  struct timeval timeout = {.tv_sec = NL_TIMEOUT_SECONDS};
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  /* Niceties: ACKs without a copy of the request, and dumps filtered by table in the kernel
   * (Linux 4.20+). Without them the answers are longer and the filtering is done below anyway. */
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  (void)setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
  return fd;
}

static int nl_send(int fd, struct request *r, uint32_t seq) {
  r->header.nlmsg_seq = seq;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t n;
  do n = sendto(fd, r->bytes, r->header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  return n == (ssize_t)r->header.nlmsg_len ? 0 : -EIO;
}

/* Called for every message of a dump; returns 0 to go on. */
typedef int (*dump_visitor)(const struct nlmsghdr *message, void *context);

/* Reads the answers to request `seq` until its ACK (or NLMSG_DONE for a dump), handing other
 * messages to `visit`. Returns the kernel's result: 0 or a negative errno. */
static int nl_receive(int fd, uint32_t seq, dump_visitor visit, void *context) {
  _Alignas(struct nlmsghdr) uint8_t buf[NL_RECV_BUFFER];
  for (;;) {
    struct sockaddr_nl from;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                         .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno; /* EAGAIN: no answer within NL_TIMEOUT_SECONDS */
    }
    if (msg.msg_flags & MSG_TRUNC) return -EMSGSIZE;
    if (from.nl_pid != 0) continue; /* not from the kernel */
    /* A signed length: NLMSG_NEXT may take it below 0 past an unaligned last message. */
    int remaining = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, remaining);
         h = NLMSG_NEXT(h, remaining)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return -EIO;
        const struct nlmsgerr *e = NLMSG_DATA(h);
        return e->error; /* 0 is the ACK */
      }
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (visit) {
        int rc = visit(h, context);
        if (rc != 0) return rc;
      }
    }
  }
}

/* One request, its answer, a closed socket. */
static int nl_call(struct request *r, dump_visitor visit, void *context) {
  int fd = nl_open();
  if (fd < 0) return fd;
  const uint32_t seq = 1;
  int rc = nl_send(fd, r, seq);
  if (rc == 0) rc = nl_receive(fd, seq, visit, context);
  close(fd);
  return rc;
}

/* ---- prefixes ------------------------------------------------------------------------------ */

struct prefix {
  int af; /* AF_INET or AF_INET6 */
  uint32_t bytes;
  uint32_t length;
  uint8_t address[16];
};

/* Checks family and length and clears the host bits. */
static int prefix_from(uint32_t family, const uint8_t *address, uint32_t length,
                       struct prefix *p) {
  if (family == 4) {
    p->af = AF_INET;
    p->bytes = 4;
  } else if (family == 6) {
    p->af = AF_INET6;
    p->bytes = 16;
  } else {
    return -EAFNOSUPPORT;
  }
  if (length > p->bytes * 8) return -EINVAL;
  p->length = length;
  memset(p->address, 0, sizeof p->address);
  memcpy(p->address, address, p->bytes);
  return 0;
}

static void clear_host_bits(struct prefix *p) {
  for (uint32_t bit = p->length; bit < p->bytes * 8; bit++) {
    p->address[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
  }
}

/* ---- routes -------------------------------------------------------------------------------- */

/* metric 0: no RTA_PRIORITY (the kernel's default: 0 for IPv4, 1024 for IPv6; any on delete). */
static void route_request(struct request *r, uint16_t type, uint16_t flags, const struct prefix *p,
                          uint32_t ifindex, uint32_t metric, unsigned char scope,
                          unsigned char route_type) {
  struct rtmsg *rt = request_body(r, type, flags, sizeof *rt);
  rt->rtm_family = (unsigned char)p->af;
  rt->rtm_dst_len = (unsigned char)p->length;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = SSS_RTPROT;
  rt->rtm_scope = scope;
  rt->rtm_type = route_type;
  if (p->length > 0) add_attr(r, RTA_DST, p->address, p->bytes);
  add_attr(r, RTA_OIF, &ifindex, sizeof ifindex);
  if (metric > 0) add_attr(r, RTA_PRIORITY, &metric, sizeof metric);
}

struct route_search {
  const struct prefix *prefix;
  uint32_t ifindex;
  uint32_t metric;             /* 0: any */
  int ours;                    /* a unicast route for the prefix goes through ifindex */
  int other;                   /* some other route of the main table has the prefix */
  int32_t other_ifindex;       /* its interface, 0 when it has none or several */
  int32_t other_type;          /* its RTN_* type */
};

static int visit_route(const struct nlmsghdr *h, void *context) {
  struct route_search *s = context;
  if (h->nlmsg_type != RTM_NEWROUTE || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) return 0;
  const struct rtmsg *rt = NLMSG_DATA(h);
  if (rt->rtm_family != s->prefix->af || rt->rtm_dst_len != s->prefix->length) return 0;
  if (rt->rtm_flags & RTM_F_CLONED) return 0;
  uint32_t table = rt->rtm_table;
  const uint8_t *dst = NULL;
  uint32_t oif = 0;
  uint32_t priority = 0;
  int multipath = 0;
  int len = (int)RTM_PAYLOAD(h);
  for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    size_t size = RTA_PAYLOAD(a);
    if (a->rta_type == RTA_TABLE && size == 4) memcpy(&table, RTA_DATA(a), 4);
    if (a->rta_type == RTA_DST && size == s->prefix->bytes) dst = RTA_DATA(a);
    if (a->rta_type == RTA_OIF && size == 4) memcpy(&oif, RTA_DATA(a), 4);
    if (a->rta_type == RTA_PRIORITY && size == 4) memcpy(&priority, RTA_DATA(a), 4);
    if (a->rta_type == RTA_MULTIPATH) multipath = 1;
  }
  if (table != RT_TABLE_MAIN) return 0;
  if (s->prefix->length > 0 && (dst == NULL || memcmp(dst, s->prefix->address, s->prefix->bytes)))
    return 0;
  if (rt->rtm_type == RTN_UNICAST && !multipath && oif == s->ifindex) {
    /* With a metric, a route through ifindex with another metric is no conflict: the kernel
     * keeps both, and the caller removes the one it replaces (make-before-break). */
    if (s->metric == 0 || priority == s->metric) s->ours = 1;
  } else if (!s->other) {
    s->other = 1;
    s->other_ifindex = multipath ? 0 : (int32_t)oif;
    s->other_type = rt->rtm_type;
  }
  return 0;
}

static int route_add(uint32_t ifindex, const struct prefix *p, uint32_t metric,
                     int32_t *conflict) {
  conflict[0] = 0;
  conflict[1] = 0;
  /* What the main table has for the prefix: a dump (filtered by table in the kernel where it
   * can), read message by message into one bounded buffer. */
  struct request r;
  struct rtmsg *rt = request_body(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof *rt);
  rt->rtm_family = (unsigned char)p->af;
  rt->rtm_table = RT_TABLE_MAIN;
  struct route_search search = {.prefix = p, .ifindex = ifindex, .metric = metric};
  int rc = nl_call(&r, visit_route, &search);
  if (rc < 0) return rc;
  if (search.other) {
    conflict[0] = search.other_ifindex;
    conflict[1] = search.other_type;
    return -EEXIST;
  }
  if (search.ours) return 0;
  route_request(&r, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, p, ifindex, metric,
                p->af == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, RTN_UNICAST);
  return nl_call(&r, NULL, NULL);
}

static int route_del(uint32_t ifindex, const struct prefix *p, uint32_t metric) {
  struct request r;
  /* Scope NOWHERE and type 0 match any; the protocol and the interface keep it to ours. */
  route_request(&r, RTM_DELROUTE, NLM_F_ACK, p, ifindex, metric, RT_SCOPE_NOWHERE, 0);
  int rc = nl_call(&r, NULL, NULL);
  return rc == -ESRCH || rc == -ENOENT || rc == -ENODEV ? 0 : rc;
}

/* ---- addresses ----------------------------------------------------------------------------- */

static int addr_add(uint32_t ifindex, const struct prefix *p) {
  struct request r;
  struct ifaddrmsg *ifa =
      request_body(&r, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, sizeof *ifa);
  ifa->ifa_family = (unsigned char)p->af;
  ifa->ifa_prefixlen = (unsigned char)p->length;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = ifindex;
  add_attr(&r, IFA_LOCAL, p->address, p->bytes);
  add_attr(&r, IFA_ADDRESS, p->address, p->bytes);
  if (p->af == AF_INET6) {
    uint32_t flags = IFA_F_NODAD;
    ifa->ifa_flags = (unsigned char)flags;
    add_attr(&r, IFA_FLAGS, &flags, sizeof flags);
  }
  return nl_call(&r, NULL, NULL);
}

/* ---- interfaces ---------------------------------------------------------------------------- */

int32_t sss_if_index(const char *name) {
  if (strnlen(name, IF_NAMESIZE) >= IF_NAMESIZE) return -ENAMETOOLONG;
  unsigned index = if_nametoindex(name);
  return index == 0 ? -errno : (int32_t)index;
}

int32_t sss_if_name(uint32_t index, char *name_out) {
  char name[IF_NAMESIZE];
  if (if_indextoname(index, name) == NULL) return -errno;
  memcpy(name_out, name, IF_NAMESIZE);
  name_out[IF_NAMESIZE - 1] = 0;
  return 0;
}

/* ---- sysctl -------------------------------------------------------------------------------- */

int32_t sss_net_sysctl(const char *name, uint8_t *buf, uint32_t cap) {
  static const char base[] = "/proc/sys/net/";
  char path[sizeof base + 128];
  size_t len = strnlen(name, 128);
  if (len == 0 || len >= 128 || name[0] == '/' || strstr(name, "..")) return -EINVAL;
  for (size_t i = 0; i < len; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok) return -EINVAL;
  }
  memcpy(path, base, sizeof base - 1);
  memcpy(path + sizeof base - 1, name, len + 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  uint32_t used = 0;
  ssize_t n = 0;
  while (used < cap && (n = read(fd, buf + used, cap - used)) > 0) used += (uint32_t)n;
  int e = errno;
  close(fd);
  return n < 0 ? -e : (int32_t)used;
}

/* ---- the agent ----------------------------------------------------------------------------- */

enum agent_op { OP_PREPARE = 1, OP_RESTRICT, OP_ROUTE_ADD, OP_ROUTE_DEL, OP_ADDR_ADD };

struct agent_request {
  enum agent_op op;
  uint32_t ifindex;
  uint32_t metric;
  struct prefix prefix;
  int32_t *conflict;
  int32_t result;
};

/* One request at a time: `pending` is the only queue, and callers wait in `call_lock`. */
static struct {
  pthread_mutex_t call_lock;
  pthread_mutex_t lock;
  pthread_cond_t changed;
  pthread_t thread;
  int running;
  int stopping;
  pid_t tid;
  struct agent_request *pending;
} agent = {.call_lock = PTHREAD_MUTEX_INITIALIZER,
           .lock = PTHREAD_MUTEX_INITIALIZER,
           .changed = PTHREAD_COND_INITIALIZER};

/* Bounding set: everything but CAP_NET_ADMIN; then keep the permitted set through setresuid. */
static int agent_prepare(void) {
  for (int cap = 0; cap < 64; cap++) {
    if (cap == CAP_NET_ADMIN) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0) continue;
    if (errno == EINVAL) break; /* past the kernel's last capability */
    return -errno;
  }
  return prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}

static int agent_restrict(void) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective = CAP_TO_MASK(CAP_NET_ADMIN);
  data[CAP_TO_INDEX(CAP_NET_ADMIN)].permitted = CAP_TO_MASK(CAP_NET_ADMIN);
  if (syscall(SYS_capset, &header, data) != 0) return -errno;
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return -errno;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return -errno;
  return 0;
}

static int32_t execute(struct agent_request *q) {
  switch (q->op) {
  case OP_PREPARE: return agent_prepare();
  case OP_RESTRICT: return agent_restrict();
  case OP_ROUTE_ADD: return route_add(q->ifindex, &q->prefix, q->metric, q->conflict);
  case OP_ROUTE_DEL: return route_del(q->ifindex, &q->prefix, q->metric);
  case OP_ADDR_ADD: return addr_add(q->ifindex, &q->prefix);
  }
  return -EINVAL;
}

static void *agent_main(void *unused) {
  (void)unused;
  (void)prctl(PR_SET_NAME, "sss-netlink", 0, 0, 0);
  pthread_mutex_lock(&agent.lock);
  agent.tid = (pid_t)syscall(SYS_gettid);
  pthread_cond_broadcast(&agent.changed);
  for (;;) {
    while (agent.pending == NULL && !agent.stopping) pthread_cond_wait(&agent.changed, &agent.lock);
    if (agent.pending == NULL) break; /* stopping, nothing left to answer */
    struct agent_request *q = agent.pending;
    pthread_mutex_unlock(&agent.lock);
    int32_t result = execute(q);
    pthread_mutex_lock(&agent.lock);
    q->result = result;
    agent.pending = NULL;
    pthread_cond_broadcast(&agent.changed);
  }
  pthread_mutex_unlock(&agent.lock);
  return NULL;
}

/* Runs q on the agent when it runs, else on the calling thread. */
static int32_t dispatch(struct agent_request *q) {
  pthread_mutex_lock(&agent.call_lock);
  pthread_mutex_lock(&agent.lock);
  if (!agent.running || agent.stopping) {
    pthread_mutex_unlock(&agent.lock);
    pthread_mutex_unlock(&agent.call_lock);
    return q->op == OP_PREPARE || q->op == OP_RESTRICT ? -ESRCH : execute(q);
  }
  agent.pending = q;
  pthread_cond_broadcast(&agent.changed);
  while (agent.pending == q) pthread_cond_wait(&agent.changed, &agent.lock);
  pthread_mutex_unlock(&agent.lock);
  pthread_mutex_unlock(&agent.call_lock);
  return q->result;
}

int32_t sss_netlink_agent_start(void) {
  pthread_mutex_lock(&agent.lock);
  if (agent.running) {
    pthread_mutex_unlock(&agent.lock);
    return -EALREADY;
  }
  /* The agent takes no signal (glibc's own SIGSETXID, which setresuid needs, still reaches it)
   * and needs little stack: NL_RECV_BUFFER and some frames. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  agent.stopping = 0;
  agent.tid = 0;
  int rc = pthread_create(&agent.thread, &attr, agent_main, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    pthread_mutex_unlock(&agent.lock);
    return -rc;
  }
  agent.running = 1;
  while (agent.tid == 0) pthread_cond_wait(&agent.changed, &agent.lock);
  pthread_mutex_unlock(&agent.lock);
  struct agent_request q = {.op = OP_PREPARE};
  rc = dispatch(&q);
  if (rc < 0) sss_netlink_agent_stop();
  return rc;
}

int32_t sss_netlink_agent_restrict(void) {
  struct agent_request q = {.op = OP_RESTRICT};
  return dispatch(&q);
}

void sss_netlink_agent_stop(void) {
  pthread_mutex_lock(&agent.lock);
  if (!agent.running) {
    pthread_mutex_unlock(&agent.lock);
    return;
  }
  agent.stopping = 1;
  pthread_cond_broadcast(&agent.changed);
  pthread_mutex_unlock(&agent.lock);
  pthread_join(agent.thread, NULL);
  pthread_mutex_lock(&agent.lock);
  agent.running = 0;
  agent.tid = 0;
  pthread_mutex_unlock(&agent.lock);
}

int32_t sss_netlink_agent_tid(void) {
  pthread_mutex_lock(&agent.lock);
  int32_t tid = agent.running ? (int32_t)agent.tid : 0;
  pthread_mutex_unlock(&agent.lock);
  return tid;
}

/* The agent runs this library's code: it must end before the library is unmapped (lib.close()
 * in Deno, or exit). */
__attribute__((destructor)) static void stop_agent_on_unload(void) { sss_netlink_agent_stop(); }

/* ---- the calls ----------------------------------------------------------------------------- */

int32_t sss_route_add(uint32_t ifindex, uint32_t family, const uint8_t *address,
                      uint32_t prefix_length, uint32_t metric, int32_t *conflict) {
  struct agent_request q = {
      .op = OP_ROUTE_ADD, .ifindex = ifindex, .metric = metric, .conflict = conflict};
  conflict[0] = 0;
  conflict[1] = 0;
  int rc = prefix_from(family, address, prefix_length, &q.prefix);
  if (rc < 0) return rc;
  clear_host_bits(&q.prefix);
  return dispatch(&q);
}

int32_t sss_route_del(uint32_t ifindex, uint32_t family, const uint8_t *address,
                      uint32_t prefix_length, uint32_t metric) {
  struct agent_request q = {.op = OP_ROUTE_DEL, .ifindex = ifindex, .metric = metric};
  int rc = prefix_from(family, address, prefix_length, &q.prefix);
  if (rc < 0) return rc;
  clear_host_bits(&q.prefix);
  return dispatch(&q);
}

int32_t sss_addr_add(uint32_t ifindex, uint32_t family, const uint8_t *address,
                     uint32_t prefix_length) {
  struct agent_request q = {.op = OP_ADDR_ADD, .ifindex = ifindex};
  int rc = prefix_from(family, address, prefix_length, &q.prefix);
  if (rc < 0) return rc;
  return dispatch(&q);
}
