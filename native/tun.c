/* SSSonector TUN shim, the device: open, configure, batch read and write, wake, close. See tun.h
 * for the contract and docs/design/protocol.md for the frame layout. */
#define _GNU_SOURCE
#include "tun.h"

#include "mss.h"
#include "vnet_header.h"

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
  uint32_t mtu; /* set by sss_tun_configure (0 until then); bounds a peer's gso_size */
  /* The MSS clamp, mss4 in the low 16 bits and mss6 in the high; read by the reading thread and
   * set by the caller's, hence atomic. */
  uint32_t mss;
  uint64_t clamped_read;    /* written by the reading thread only (atomic for the getter) */
  uint64_t clamped_written; /* written by the caller's thread only */
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

int32_t sss_tun_configure(sss_tun *tun, uint32_t mtu) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -errno;
  int rc = 0;
  struct ifreq ifr;
  ifreq_for(&ifr, tun->name);
  ifr.ifr_mtu = (int)mtu;
  if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
    rc = -errno;
    goto out;
  }
  tun->mtu = mtu;
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
  const uint32_t mss = __atomic_load_n(&tun->mss, __ATOMIC_RELAXED);
  uint32_t off = 0, count = 0, clamped = 0;
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
    uint8_t *packet = buf + off + SSS_FRAME_HEADER_SIZE + header_len;
    if (mss != 0 && sss_mss_maybe_syn(packet, len - header_len)) {
      /* The kernel hands locally made TCP packets with a partial checksum on offload devices. */
      const uint8_t vnet_flags = buf[off + SSS_FRAME_HEADER_SIZE];
      int partial = tun->offload && (vnet_flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
      clamped +=
          (uint32_t)sss_mss_clamp(packet, len - header_len, mss & 0xffff, mss >> 16, partial);
    }
    sss_store_be32(buf + off, ((uint32_t)type << 24) | len);
    index[2 * count] = off;
    index[2 * count + 1] = ipv4_destination(packet, len - header_len);
    count++;
    off += SSS_FRAME_HEADER_SIZE + len;
  }
  if (clamped) __atomic_fetch_add(&tun->clamped_read, clamped, __ATOMIC_RELAXED);
  *count_out = count;
  return off;
}

/* Stats index of each filter verdict (SSS_VERDICT_*). */
static const uint8_t verdict_stat[] = {
    [SSS_VERDICT_MALFORMED] = SSS_STAT_DROPPED_MALFORMED,
    [SSS_VERDICT_LINK_LOCAL] = SSS_STAT_DROPPED_LINK_LOCAL,
    [SSS_VERDICT_SPOOFED] = SSS_STAT_DROPPED_SPOOFED,
    [SSS_VERDICT_DESTINATION] = SSS_STAT_DROPPED_DESTINATION,
};

/* Keeps the source of a spoofed packet (already known to be a whole IPv4 or IPv6 header). */
static void report_spoofed(const uint8_t *packet, uint64_t *stats) {
  uint8_t address[16] = {0};
  int v6 = (packet[0] >> 4) == 6;
  memcpy(address, packet + (v6 ? 8 : 12), v6 ? 16 : 4);
  stats[SSS_STAT_SPOOFED_FAMILY] = v6 ? 6 : 4;
  memcpy(&stats[SSS_STAT_SPOOFED_ADDRESS], address, sizeof address);
}

/* Writes one packet (vnet header included when vnet_len is not 0) as iov[0..n), retrying on
 * EINTR. Returns write's result. */
static ssize_t write_all(int fd, struct iovec *iov, int n) {
  ssize_t rc;
  do rc = n == 1 ? write(fd, iov[0].iov_base, iov[0].iov_len) : writev(fd, iov, n);
  while (rc < 0 && errno == EINTR);
  return rc;
}

int32_t sss_tun_write_frames(sss_tun *tun, const uint8_t *buf, uint32_t len, const uint8_t *filter,
                             uint32_t filter_len, uint64_t *stats) {
  sss_filter rules;
  stats[SSS_STAT_STATUS] = SSS_WRITE_NEED_MORE;
  stats[SSS_STAT_SPOOFED_FAMILY] = 0;
  int32_t rc = sss_filter_init(&rules, filter, filter_len);
  if (rc < 0) return rc;
  const uint32_t mss = __atomic_load_n(&tun->mss, __ATOMIC_RELAXED);
  uint32_t off = 0;
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
    /* The device never gets a peer's virtio_net_hdr: a checked rebuild (vnet_header.h), or none. */
    struct virtio_net_hdr vnet;
    memset(&vnet, 0, sizeof vnet);
    uint32_t vnet_len = 0;
    if (type == SSS_FRAME_PACKET_GSO) {
      if (sss_vnet_header_rebuild(payload, payload_len, tun->mtu, (uint8_t *)&vnet) != SSS_VNET_OK) {
        stats[SSS_STAT_DROPPED_MALFORMED]++;
        continue;
      }
      vnet_len = SSS_VNET_HDR_SIZE;
    }
    const uint8_t *packet = payload + vnet_len;
    const uint32_t packet_len = payload_len - vnet_len;
    int verdict = sss_filter_check(&rules, packet, packet_len);
    if (verdict != SSS_VERDICT_PASS) {
      stats[verdict_stat[verdict]]++;
      if (verdict == SSS_VERDICT_SPOOFED) report_spoofed(packet, stats);
      continue;
    }
    /* iov: [virtio_net_hdr] [IP and TCP headers, maybe a clamped copy] [the rest] */
    struct iovec iov[3];
    int n = 0;
    if (tun->offload) iov[n++] = (struct iovec){&vnet, SSS_VNET_HDR_SIZE};
    uint8_t copy[SSS_MSS_MAX_HEADERS];
    uint32_t headers = 0;
    if (mss != 0 && sss_mss_maybe_syn(packet, packet_len)) {
      headers = sss_mss_syn_headers(packet, packet_len, mss & 0xffff, mss >> 16);
    }
    if (headers == 0) {
      iov[n++] = (struct iovec){(void *)packet, packet_len};
    } else {
      /* The chunk belongs to the caller: the clamped headers are written from a copy. */
      memcpy(copy, packet, headers);
      int partial = (vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
      int changed = sss_mss_clamp(copy, headers, mss & 0xffff, mss >> 16, partial);
      stats[SSS_STAT_MSS_CLAMPED] += (uint64_t)changed;
      tun->clamped_written += (uint64_t)changed;
      iov[n++] = (struct iovec){copy, headers};
      iov[n++] = (struct iovec){(void *)(packet + headers), packet_len - headers};
    }
    if (write_all(tun->fd, iov, n) < 0) {
      stats[SSS_STAT_DROPPED_WRITE_ERROR]++;
      continue;
    }
    stats[SSS_STAT_PACKETS]++;
    stats[SSS_STAT_BYTES] += packet_len;
  }
  return (int32_t)off;
}

int32_t sss_tun_set_mss(sss_tun *tun, uint32_t mss4, uint32_t mss6) {
  if (mss4 > 0xffff || mss6 > 0xffff) return -EINVAL;
  __atomic_store_n(&tun->mss, mss4 | (mss6 << 16), __ATOMIC_RELAXED);
  return 0;
}

void sss_tun_mss_counters(const sss_tun *tun, uint64_t *out) {
  out[0] = __atomic_load_n(&tun->clamped_read, __ATOMIC_RELAXED);
  out[1] = tun->clamped_written;
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
