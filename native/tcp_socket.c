/* The carrier's TCP socket: see tcp_socket.h. */
#define _GNU_SOURCE
#include "tcp_socket.h"

#include <dirent.h>
#include <ifaddrs.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
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

int32_t sss_tcp_find(int32_t hint, const uint8_t *local_address, uint32_t local_len,
                     uint32_t local_port, const uint8_t *peer_address, uint32_t peer_len,
                     uint32_t peer_port) {
  struct endpoint local, peer;
  if (endpoint_from_bytes(&local, local_address, local_len, local_port) < 0 ||
      endpoint_from_bytes(&peer, peer_address, peer_len, peer_port) < 0) {
    return -EINVAL;
  }
  if (hint >= 0 && matches(hint, &local, &peer)) return hint;
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return -errno;
  int32_t result = -ENOENT;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    char *end;
    long fd = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || end == entry->d_name || fd < 0 || fd == dirfd(dir)) continue;
    struct stat st;
    if (fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode)) continue;
    if (matches((int)fd, &local, &peer)) {
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
