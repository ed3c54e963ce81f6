/* The carrier's TCP socket: see tcp_socket.h. */
#define _GNU_SOURCE
#include "tcp_socket.h"

#include <dirent.h>
#include <ifaddrs.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's limit on a congestion control name (include/net/tcp.h, not exported). */
#define TCP_CA_NAME_MAX 16

/* An endpoint as 16 bytes (IPv4 as IPv4-mapped IPv6) and a port. */
struct endpoint {
  uint8_t address[16];
  uint16_t port;
};

static int endpoint_from_bytes(struct endpoint *e, const uint8_t *address, uint32_t len,
                               uint32_t port) {
  memset(e, 0, sizeof *e);
  if (len == 4) {
    e->address[10] = 0xff;
    e->address[11] = 0xff;
    memcpy(e->address + 12, address, 4);
  } else if (len == 16) {
    memcpy(e->address, address, 16);
  } else {
    return -EINVAL;
  }
  if (port > 65535) return -EINVAL;
  e->port = (uint16_t)port;
  return 0;
}

static int endpoint_from_sockaddr(struct endpoint *e, const struct sockaddr_storage *s) {
  if (s->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)s;
    return endpoint_from_bytes(e, (const uint8_t *)&in->sin_addr, 4, ntohs(in->sin_port));
  }
  if (s->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)s;
    return endpoint_from_bytes(e, in6->sin6_addr.s6_addr, 16, ntohs(in6->sin6_port));
  }
  return -EAFNOSUPPORT;
}

static int same(const struct endpoint *a, const struct endpoint *b) {
  return a->port == b->port && memcmp(a->address, b->address, 16) == 0;
}

/* Whether `fd` is a TCP socket connected from `local` to `peer`. */
static int matches(int fd, const struct endpoint *local, const struct endpoint *peer) {
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) return 0;
  struct sockaddr_storage address;
  struct endpoint found;
  len = sizeof address;
  if (getpeername(fd, (struct sockaddr *)&address, &len) < 0) return 0;
  if (endpoint_from_sockaddr(&found, &address) < 0 || !same(&found, peer)) return 0;
  len = sizeof address;
  if (getsockname(fd, (struct sockaddr *)&address, &len) < 0) return 0;
  return endpoint_from_sockaddr(&found, &address) == 0 && same(&found, local);
}

/*
 * What a scan learnt about each descriptor, so that the next scan need not ask the kernel three
 * questions about every one (a server with 10,000 sessions asked about 30,000 for each new
 * session: bench --sessions saw its set-ups fall from 33/s at 1,000 sessions to 12/s at 10,000). A descriptor's file is named by device and inode: a
 * descriptor closed and opened again names another file, so an entry is trusted only while
 * fstat gives its name. What is kept never changes for that file: a connected TCP socket's
 * endpoints (an unconnected one is not kept), or that the file can never match (not a socket,
 * not a stream socket, or connected to something other than IP). A match is always confirmed with
 * matches(), so a stale entry can cost a look, never a wrong answer. Bound: 56 bytes per
 * descriptor number up to the highest seen (about 1 MB at 10,000 sessions, the table doubling).
 * The JS thread is the one caller today; `seen_lock` keeps the table whole should there be more.
 */
enum seen_kind { SEEN_NOTHING = 0, SEEN_NEVER, SEEN_TCP };

struct seen {
  dev_t dev;
  ino_t ino;
  uint8_t kind; /* enum seen_kind */
  struct endpoint local, peer;
};

static struct seen *seen_table;
static size_t seen_size;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry for `fd`, the table grown to hold it; NULL when out of memory. */
static struct seen *seen_slot(int fd) {
  if ((size_t)fd >= seen_size) {
    size_t size = seen_size ? seen_size : 256;
    while (size <= (size_t)fd) size *= 2;
    struct seen *grown = realloc(seen_table, size * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + seen_size, 0, (size - seen_size) * sizeof *grown);
    seen_table = grown;
    seen_size = size;
  }
  return &seen_table[fd];
}

/* What `fd` is now (asking the kernel only about a file not seen before); SEEN_NOTHING when it
 * is closed, or an unconnected socket. */
static enum seen_kind look(int fd, struct seen *out) {
  struct stat st;
  if (fstat(fd, &st) < 0) return SEEN_NOTHING;
  struct seen *slot = seen_slot(fd);
  if (slot && slot->kind != SEEN_NOTHING && slot->dev == st.st_dev && slot->ino == st.st_ino) {
    *out = *slot;
    return (enum seen_kind)slot->kind;
  }
  struct seen now = {.dev = st.st_dev, .ino = st.st_ino, .kind = SEEN_NEVER};
  if (S_ISSOCK(st.st_mode)) {
    int type = 0;
    socklen_t len = sizeof type;
    struct sockaddr_storage address;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return SEEN_NOTHING;
    if (type == SOCK_STREAM) {
      len = sizeof address;
      /* Not connected (yet): nothing to keep, it may connect later. */
      if (getpeername(fd, (struct sockaddr *)&address, &len) < 0) return SEEN_NOTHING;
      if (endpoint_from_sockaddr(&now.peer, &address) == 0) {
        len = sizeof address;
        if (getsockname(fd, (struct sockaddr *)&address, &len) < 0 ||
            endpoint_from_sockaddr(&now.local, &address) < 0) {
          return SEEN_NOTHING;
        }
        now.kind = SEEN_TCP;
      }
    }
  }
  if (slot) *slot = now;
  *out = now;
  return (enum seen_kind)now.kind;
}

static int seen_matches(const struct seen *entry, const struct endpoint *local,
                        const struct endpoint *peer) {
  return entry->kind == SEEN_TCP && same(&entry->peer, peer) && same(&entry->local, local);
}

static int32_t scan(const struct endpoint *local, const struct endpoint *peer);

int32_t sss_tcp_find(int32_t hint, const uint8_t *local_address, uint32_t local_len,
                     uint32_t local_port, const uint8_t *peer_address, uint32_t peer_len,
                     uint32_t peer_port) {
  struct endpoint local, peer;
  if (endpoint_from_bytes(&local, local_address, local_len, local_port) < 0 ||
      endpoint_from_bytes(&peer, peer_address, peer_len, peer_port) < 0) {
    return -EINVAL;
  }
  if (hint >= 0 && matches(hint, &local, &peer)) return hint;
  pthread_mutex_lock(&seen_lock);
  int32_t fd = scan(&local, &peer);
  pthread_mutex_unlock(&seen_lock);
  return fd;
}

/* The scan of sss_tcp_find, `seen_lock` held. */
static int32_t scan(const struct endpoint *local_end, const struct endpoint *peer_end) {
  const struct endpoint local = *local_end, peer = *peer_end;
  /* 1. A socket an earlier scan saw with these endpoints (no system call until one is found). */
  size_t highest = 0;
  for (size_t fd = 0; fd < seen_size; fd++) {
    if (seen_table[fd].kind == SEEN_NOTHING) continue;
    highest = fd;
    if (seen_matches(&seen_table[fd], &local, &peer) && matches((int)fd, &local, &peer)) {
      return (int32_t)fd;
    }
  }
  /* 2. Descriptor numbers no scan has seen open, up to a little past the highest seen: where a
   * connection accepted since the last scan usually is (one fstat each, EBADF for a free one). */
  struct seen entry;
  for (size_t fd = 0; fd <= highest + 256 && fd < INT32_MAX; fd++) {
    if (fd < seen_size && seen_table[fd].kind != SEEN_NOTHING) continue;
    if (look((int)fd, &entry) == SEEN_TCP && seen_matches(&entry, &local, &peer) &&
        matches((int)fd, &local, &peer)) {
      return (int32_t)fd;
    }
  }
  /* 3. Every descriptor number up to a little past the highest seen, lowest first (where the
   * kernel puts a descriptor it hands out again): one fstat each, the kernel asked more only
   * about a file not seen before (a descriptor closed and opened again since). */
  for (size_t fd = 0; fd <= highest + 256 && fd < INT32_MAX; fd++) {
    if (look((int)fd, &entry) == SEEN_TCP && seen_matches(&entry, &local, &peer) &&
        matches((int)fd, &local, &peer)) {
      return (int32_t)fd;
    }
  }
  /* 4. Beyond those: every open descriptor /proc/self/fd lists. */
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return -errno;
  int32_t result = -ENOENT;
  struct dirent *dirent;
  while ((dirent = readdir(dir)) != NULL) {
    char *end;
    long fd = strtol(dirent->d_name, &end, 10);
    if (*end != '\0' || end == dirent->d_name || fd < 0 || fd > INT32_MAX || fd == dirfd(dir) ||
        (size_t)fd <= highest + 256) {
      continue;
    }
    if (look((int)fd, &entry) == SEEN_TCP && seen_matches(&entry, &local, &peer) &&
        matches((int)fd, &local, &peer)) {
      result = (int32_t)fd;
      break;
    }
  }
  closedir(dir);
  return result;
}

int32_t sss_tcp_set_notsent_lowat(int32_t fd, uint32_t bytes) {
  int value = bytes > 0x7fffffff ? 0x7fffffff : (int)bytes;
  return setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &value, sizeof value) < 0 ? -errno : 0;
}

int32_t sss_tcp_set_congestion(int32_t fd, const char *name) {
  size_t len = strnlen(name, TCP_CA_NAME_MAX);
  if (len == 0 || len >= TCP_CA_NAME_MAX) return -EINVAL;
  return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, (socklen_t)len) < 0 ? -errno : 0;
}

int32_t sss_tcp_get_congestion(int32_t fd, char *out, uint32_t cap) {
  char name[TCP_CA_NAME_MAX + 1] = {0};
  socklen_t len = TCP_CA_NAME_MAX;
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &len) < 0) return -errno;
  size_t n = strnlen(name, TCP_CA_NAME_MAX);
  if (cap == 0 || n >= cap) return -ENOSPC;
  memcpy(out, name, n + 1);
  return (int32_t)n;
}

int32_t sss_tcp_info(int32_t fd, uint64_t *out) {
  struct tcp_info info;
  memset(&info, 0, sizeof info);
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0) return -errno;
  out[SSS_TCPI_SRTT_US] = info.tcpi_rtt;
  out[SSS_TCPI_RTTVAR_US] = info.tcpi_rttvar;
  out[SSS_TCPI_MIN_RTT_US] = info.tcpi_min_rtt;
  out[SSS_TCPI_TOTAL_RETRANS] = info.tcpi_total_retrans;
  out[SSS_TCPI_LOST] = info.tcpi_lost;
  out[SSS_TCPI_SND_CWND] = info.tcpi_snd_cwnd;
  out[SSS_TCPI_SND_MSS] = info.tcpi_snd_mss;
  out[SSS_TCPI_DELIVERY_RATE] = info.tcpi_delivery_rate;
  out[SSS_TCPI_PACING_RATE] = info.tcpi_pacing_rate;
  out[SSS_TCPI_NOTSENT_BYTES] = info.tcpi_notsent_bytes;
  out[SSS_TCPI_UNACKED] = info.tcpi_unacked;
  out[SSS_TCPI_BYTES_ACKED] = info.tcpi_bytes_acked;
  out[SSS_TCPI_BYTES_RETRANS] = info.tcpi_bytes_retrans;
  out[SSS_TCPI_BYTES_RECEIVED] = info.tcpi_bytes_received;
  int queued = 0;
  out[SSS_TCPI_RECV_QUEUED] = ioctl(fd, SIOCINQ, &queued) < 0 || queued < 0 ? 0 : (uint64_t)queued;
  return 0;
}

#ifndef TCP_RTO_MIN_US
#define TCP_RTO_MIN_US 45
#endif

int32_t sss_tcp_set_thin_stream(int32_t fd, uint32_t rto_min_us) {
  int result = 0;
  int rto = rto_min_us > 0x7fffffff ? 0x7fffffff : (int)rto_min_us;
  if (setsockopt(fd, IPPROTO_TCP, TCP_RTO_MIN_US, &rto, sizeof rto) < 0) result = -errno;
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_THIN_LINEAR_TIMEOUTS, &one, sizeof one) < 0 && result == 0) {
    result = -errno;
  }
  return result;
}

int32_t sss_tcp_set_max_pacing_rate(int32_t fd, uint64_t bytes_per_second) {
  uint64_t rate = bytes_per_second == 0 ? ~0ull : bytes_per_second;
  return setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, sizeof rate) < 0 ? -errno : 0;
}

int32_t sss_tcp_set_user_timeout(int32_t fd, uint32_t ms) {
  unsigned int value = ms;
  return setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, sizeof value) < 0 ? -errno : 0;
}

int32_t sss_tcp_local_address_present(int32_t fd) {
  struct sockaddr_storage address;
  socklen_t len = sizeof address;
  struct endpoint local;
  if (getsockname(fd, (struct sockaddr *)&address, &len) < 0) return -errno;
  if (endpoint_from_sockaddr(&local, &address) < 0) return -EAFNOSUPPORT;
  struct ifaddrs *list;
  if (getifaddrs(&list) < 0) return -errno;
  int32_t present = 0;
  for (struct ifaddrs *entry = list; entry && !present; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    struct endpoint candidate;
    struct sockaddr_storage copy = {0};
    size_t size = entry->ifa_addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                  : entry->ifa_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                           : 0;
    if (size == 0) continue;
    memcpy(&copy, entry->ifa_addr, size);
    if (endpoint_from_sockaddr(&candidate, &copy) < 0) continue;
    present = memcmp(candidate.address, local.address, 16) == 0;
  }
  freeifaddrs(list);
  return present;
}
