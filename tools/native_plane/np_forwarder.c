/*
 * The native data plane's ceiling: TUN <-> TLS 1.3 with the record layer on two threads (one
 * per direction), the handshake, mutual authentication and Hello done before by libssl.
 *   np_forwarder server|client IP PORT TUN CERT KEY CA [SUITES]
 * The TUN is opened with IFF_VNET_HDR and TSO offloads, as SSSonector's `network.offload: true`;
 * each packet (with its virtio header) travels as a 4-byte length and the bytes.
 */
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "np_connect.h"
#include "np_session.h"

#define MAX_PACKET (65535 + 64)

struct plane {
  struct np_session session;
  int tun;
  /* The receiving side's reassembly of length-prefixed packets. */
  uint8_t *stream;
  size_t have;
};

static int open_tun(const char *name) {
  struct ifreq ifr;
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return perror("/dev/net/tun"), -1;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) return perror("TUNSETIFF"), close(fd), -1;
  if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) != 0) perror("TUNSETOFFLOAD");
  return fd;
}

static int deliver(void *arg, const uint8_t *data, size_t len) {
  struct plane *p = arg;
  while (len > 0) {
    size_t take = 4 + MAX_PACKET - p->have;
    if (take > len) take = len;
    memcpy(p->stream + p->have, data, take);
    p->have += take, data += take, len -= take;
    size_t at = 0;
    while (p->have - at >= 4) {
      uint8_t *h = p->stream + at;
      size_t size = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
      if (size > MAX_PACKET) return -1;
      if (p->have - at < 4 + size) break;
      if (write(p->tun, h + 4, size) < 0) perror("tun write");
      at += 4 + size;
    }
    memmove(p->stream, p->stream + at, p->have - at);
    p->have -= at;
  }
  return 0;
}

static void *receiver(void *arg) {
  struct plane *p = arg;
  int rc = np_session_receive(&p->session, deliver, p);
  fprintf(stderr, "np: receiver ended (%s), key updates received %llu\n",
          rc == 0 ? "close_notify" : "error or end of stream",
          (unsigned long long)p->session.rx.updates);
  atomic_store(&p->session.closed, 1);
  exit(rc == 0 ? 0 : 1);
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: np_forwarder server|client IP PORT TUN CERT KEY CA [SUITES]\n");
    return 2;
  }
  int is_server = strcmp(argv[1], "server") == 0;
  signal(SIGPIPE, SIG_IGN);
  struct np_tls_files files = {argv[5], argv[6], argv[7], argc > 8 ? argv[8] : NULL};
  static struct plane p;
  p.stream = malloc(4 + MAX_PACKET);
  p.tun = open_tun(argv[4]);
  int fd = is_server ? np_accept_one(argv[2], atoi(argv[3])) : np_connect_to(argv[2], atoi(argv[3]));
  if (p.tun < 0 || fd < 0 || !p.stream) return 1;
  char err[256];
  if (np_session_start(&p.session, fd, is_server, &files, 0, err, sizeof err) != 0) {
    fprintf(stderr, "np: %s\n", err);
    return 1;
  }
  fprintf(stderr, "np: session up, suite 0x%04x, records before the takeover: sent %llu, received %llu\n",
          (unsigned)p.session.suite, (unsigned long long)p.session.tx_before,
          (unsigned long long)p.session.rx_before);
  pthread_t t;
  pthread_create(&t, NULL, receiver, &p);
  static uint8_t packet[4 + MAX_PACKET];
  for (;;) {
    ssize_t n = read(p.tun, packet + 4, MAX_PACKET);
    if (n <= 0) break;
    packet[0] = (uint8_t)(n >> 24), packet[1] = (uint8_t)(n >> 16);
    packet[2] = (uint8_t)(n >> 8), packet[3] = (uint8_t)n;
    if (np_session_send(&p.session, packet, 4 + (size_t)n) != 0) break;
  }
  np_session_close_notify(&p.session);
  return 1;
}
