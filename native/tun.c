/* SSSonector TUN shim, the device: open, configure, batch read and write, wake, close. See tun.h
 * for the contract and docs/protocol.md for the frame layout. */
#define _GNU_SOURCE
#include "tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

struct sss_tun {
  int fd;
  int wake_fd;
  int offload;
  char name[IFNAMSIZ];
};

/* Clears ifr and copies an interface name (at most IFNAMSIZ-1 bytes, always terminated) into it. */
static void ifreq_for(struct ifreq *ifr, const char *name) {
  memset(ifr, 0, sizeof *ifr);
  memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

sss_tun *sss_tun_open(const char *name, uint32_t flags, char *name_out, int32_t *err) {
  err[0] = 0;
  err[1] = SSS_STAGE_OPEN;
  if (strlen(name) >= IFNAMSIZ) {
    err[0] = -ENAMETOOLONG;
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    err[0] = -errno;
    return NULL;
  }
  err[1] = SSS_STAGE_CREATE;
  struct ifreq ifr;
  ifreq_for(&ifr, name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (flags & SSS_OPEN_OFFLOAD) ifr.ifr_flags |= IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    err[0] = -errno;
    close(fd);
    return NULL;
  }
  int offload = 0;
  err[1] = SSS_STAGE_OFFLOAD;
  if (flags & SSS_OPEN_OFFLOAD) {
    int hdr = (int)SSS_VNET_HDR_SIZE;
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
      err[0] = -errno;
      close(fd);
      return NULL;
    }
    unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
#ifdef TUN_F_USO4
    if (ioctl(fd, TUNSETOFFLOAD, base | TUN_F_USO4 | TUN_F_USO6) == 0) {
      offload = 1;
    } else
#endif
        if (ioctl(fd, TUNSETOFFLOAD, base) == 0) {
      offload = 1;
    } else {
      err[0] = -errno;
      close(fd);
      return NULL;
    }
  }
  err[1] = SSS_STAGE_RESOURCES;
  int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0) {
    err[0] = -errno;
    close(fd);
    return NULL;
  }
  sss_tun *tun = calloc(1, sizeof *tun);
  if (!tun) {
    err[0] = -ENOMEM;
    close(wake_fd);
    close(fd);
    return NULL;
  }
  tun->fd = fd;
  tun->wake_fd = wake_fd;
  tun->offload = offload;
  memcpy(tun->name, ifr.ifr_name, IFNAMSIZ);
  tun->name[IFNAMSIZ - 1] = 0;
  memcpy(name_out, tun->name, IFNAMSIZ);
  return tun;
}

int32_t sss_tun_offload(const sss_tun *tun) { return tun->offload; }

static int set_ipv4(int sock, const char *name, unsigned long request, uint32_t addr_be) {
  struct ifreq ifr;
  ifreq_for(&ifr, name);
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = addr_be;
  return ioctl(sock, request, &ifr);
}

int32_t sss_tun_configure(sss_tun *tun, const uint8_t *ipv4, uint32_t prefix_length, uint32_t mtu) {
  if (prefix_length < 1 || prefix_length > 32) return -EINVAL;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  int rc = 0;
  uint32_t addr_be;
  memcpy(&addr_be, ipv4, 4);
  uint32_t mask = prefix_length == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_length);
  struct ifreq ifr;
  if (set_ipv4(sock, tun->name, SIOCSIFADDR, addr_be) < 0 ||
      set_ipv4(sock, tun->name, SIOCSIFNETMASK, htonl(mask)) < 0) {
    rc = -errno;
    goto out;
  }
  ifreq_for(&ifr, tun->name);
  ifr.ifr_mtu = (int)mtu;
  if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
    rc = -errno;
    goto out;
  }
  ifreq_for(&ifr, tun->name);
  ifr.ifr_qlen = 1000;
  (void)ioctl(sock, SIOCSIFTXQLEN, &ifr); /* a longer queue is a nicety, not a requirement */
  ifreq_for(&ifr, tun->name);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
    rc = -errno;
    goto out;
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) rc = -errno;
out:
  close(sock);
  return rc;
}

static uint32_t ipv4_destination(const uint8_t *packet, uint32_t len) {
  if (len < 20 || (packet[0] >> 4) != 4) return 0;
  return sss_load_be32(packet + 16);
}

int32_t sss_tun_read_frames(sss_tun *tun, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                            uint32_t *index, uint32_t index_cap, uint32_t *count_out) {
  *count_out = 0;
  struct pollfd fds[2] = {{.fd = tun->fd, .events = POLLIN}, {.fd = tun->wake_fd, .events = POLLIN}};
  int ready = poll(fds, 2, timeout_ms);
  if (ready < 0) return errno == EINTR ? 0 : -errno;
  if (fds[1].revents & POLLIN) {
    uint64_t drained;
    (void)read(tun->wake_fd, &drained, sizeof drained);
    return 0;
  }
  if (!(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) return 0;

  const uint32_t max_read =
      tun->offload ? SSS_VNET_HDR_SIZE + SSS_MAX_IP_PACKET : SSS_MAX_IP_PACKET;
  const uint8_t type = tun->offload ? SSS_FRAME_PACKET_GSO : SSS_FRAME_PACKET;
  uint32_t off = 0, count = 0;
  while (count < index_cap && cap - off >= SSS_FRAME_HEADER_SIZE + max_read) {
    ssize_t n = read(tun->fd, buf + off + SSS_FRAME_HEADER_SIZE, max_read);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (count == 0) return -errno;
      break;
    }
    if (n == 0) break;
    uint32_t len = (uint32_t)n;
    uint32_t header_len = tun->offload ? SSS_VNET_HDR_SIZE : 0;
    if (len <= header_len) continue;
    sss_store_be32(buf + off, ((uint32_t)type << 24) | len);
    index[2 * count] = off;
    index[2 * count + 1] =
        ipv4_destination(buf + off + SSS_FRAME_HEADER_SIZE + header_len, len - header_len);
    count++;
    off += SSS_FRAME_HEADER_SIZE + len;
  }
  *count_out = count;
  return off;
}

/* Checks an IP packet's version and lengths and, when asked, its IPv4 source. Returns 0 to write,
 * SSS_STAT_DROPPED_* to drop. */
static int check_packet(const uint8_t *packet, uint32_t len, uint32_t allowed_source) {
  if (len < 1) return SSS_STAT_DROPPED_MALFORMED;
  unsigned version = packet[0] >> 4;
  if (version == 4) {
    if (len < 20) return SSS_STAT_DROPPED_MALFORMED;
    if (allowed_source != 0 && sss_load_be32(packet + 12) != allowed_source) {
      return SSS_STAT_DROPPED_SPOOFED;
    }
    return 0;
  }
  if (version == 6) {
    if (len < 40) return SSS_STAT_DROPPED_MALFORMED;
    /* A peer bound to an IPv4 tunnel address has no IPv6 source to prove. */
    return allowed_source != 0 ? SSS_STAT_DROPPED_SPOOFED : 0;
  }
  return SSS_STAT_DROPPED_MALFORMED;
}

int32_t sss_tun_write_frames(sss_tun *tun, const uint8_t *buf, uint32_t len,
                             uint32_t allowed_source, uint64_t *stats) {
  static const struct virtio_net_hdr no_offload = {0};
  uint32_t off = 0;
  stats[SSS_STAT_STATUS] = SSS_WRITE_NEED_MORE;
  while (len - off >= SSS_FRAME_HEADER_SIZE) {
    uint32_t header = sss_load_be32(buf + off);
    uint32_t type = header >> 24, payload_len = header & 0xffffffu;
    if (type != SSS_FRAME_PACKET && type != SSS_FRAME_PACKET_GSO) {
      stats[SSS_STAT_STATUS] = SSS_WRITE_CONTROL;
      break;
    }
    if (payload_len > SSS_FRAME_MAX_PAYLOAD) {
      stats[SSS_STAT_STATUS] = SSS_WRITE_BAD_FRAME;
      break;
    }
    if (type == SSS_FRAME_PACKET_GSO && !tun->offload) {
      stats[SSS_STAT_STATUS] = SSS_WRITE_BAD_GSO;
      break;
    }
    if (len - off - SSS_FRAME_HEADER_SIZE < payload_len) break; /* incomplete */

    const uint8_t *payload = buf + off + SSS_FRAME_HEADER_SIZE;
    off += SSS_FRAME_HEADER_SIZE + payload_len;
    uint32_t vnet_len = type == SSS_FRAME_PACKET_GSO ? SSS_VNET_HDR_SIZE : 0;
    if (payload_len < vnet_len) {
      stats[SSS_STAT_DROPPED_MALFORMED]++;
      continue;
    }
    int verdict = check_packet(payload + vnet_len, payload_len - vnet_len, allowed_source);
    if (verdict != 0) {
      stats[verdict]++;
      continue;
    }
    ssize_t n;
    if (tun->offload && type == SSS_FRAME_PACKET) {
      struct iovec iov[2] = {{(void *)&no_offload, SSS_VNET_HDR_SIZE},
                             {(void *)payload, payload_len}};
      do n = writev(tun->fd, iov, 2);
      while (n < 0 && errno == EINTR);
    } else {
      do n = write(tun->fd, payload, payload_len);
      while (n < 0 && errno == EINTR);
    }
    if (n < 0) {
      stats[SSS_STAT_DROPPED_WRITE_ERROR]++;
      continue;
    }
    stats[SSS_STAT_PACKETS]++;
    stats[SSS_STAT_BYTES] += payload_len - vnet_len;
  }
  return off;
}

int32_t sss_tun_wake(sss_tun *tun) {
  uint64_t one = 1;
  return write(tun->wake_fd, &one, sizeof one) < 0 ? -errno : 0;
}

void sss_tun_close(sss_tun *tun) {
  if (!tun) return;
  close(tun->wake_fd);
  close(tun->fd);
  free(tun);
}

const char *sss_strerror(int32_t err) { return strerror(err < 0 ? -err : err); }
