/* TCP set-up of np_connect.h (IPv4; the experiment runs in namespaces over veth). */
#define _GNU_SOURCE
#include "np_connect.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int address(const char *ip, int port, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((unsigned short)port);
  return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int np_accept_one(const char *ip, int port) {
  struct sockaddr_in sa;
  int one = 1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || address(ip, port, &sa) != 0) return perror("listen"), -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1) != 0) {
    perror("bind/listen");
    close(fd);
    return -1;
  }
  /* Port 0 picks a free one: say which. */
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  fprintf(stderr, "np: listening on %s:%d\n", ip, ntohs(sa.sin_port));
  int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
  close(fd);
  if (conn < 0) return perror("accept"), -1;
  return nodelay(conn);
}

int np_connect_to(const char *ip, int port) {
  struct sockaddr_in sa;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || address(ip, port, &sa) != 0) return perror("connect"), -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    perror("connect");
    close(fd);
    return -1;
  }
  return nodelay(fd);
}
