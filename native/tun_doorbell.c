/* SSSonector TUN shim, the doorbell: see tun_doorbell.h. */
#define _GNU_SOURCE
#include "tun_doorbell.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct sss_doorbell {
  int tun_fd;
  int listen_fd;
  int arm_fd;  /* eventfd: the JS thread armed the bell (or rang it) */
  int stop_fd; /* eventfd: stop the thread */
  int32_t timeout_ms; /* of the current arm; written before arm_fd is signalled */
  int32_t ring_now;   /* set by sss_doorbell_ring before arm_fd is signalled */
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  pthread_t thread;
};

/* Accepts the one connection from this process; -1 when stopped or on error. */
static int accept_own(sss_doorbell *bell) {
  struct pollfd fds[2] = {{.fd = bell->listen_fd, .events = POLLIN},
                          {.fd = bell->stop_fd, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (fds[1].revents) return -1;
    int conn = accept4(bell->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      return -1;
    }
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid == getpid()) {
      return conn;
    }
    close(conn); /* somebody else's: refused, keep waiting for ours */
  }
}

static void *doorbell_main(void *arg) {
  sss_doorbell *bell = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals go to Deno's threads, never here */
  int conn = accept_own(bell);
  unlink(bell->path);
  close(bell->listen_fd);
  bell->listen_fd = -1;
  if (conn < 0) return NULL;
  int armed = 0;
  int32_t timeout = -1;
  const uint8_t one = 1;
  for (;;) {
    struct pollfd fds[3] = {{.fd = bell->stop_fd, .events = POLLIN},
                            {.fd = bell->arm_fd, .events = POLLIN},
                            {.fd = armed ? bell->tun_fd : -1, .events = POLLIN}};
    int ready = poll(fds, 3, armed ? timeout : -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;
    int ring = 0;
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      (void)read(bell->arm_fd, &count, sizeof count);
      armed = 1;
      timeout = __atomic_load_n(&bell->timeout_ms, __ATOMIC_ACQUIRE);
      if (__atomic_exchange_n(&bell->ring_now, 0, __ATOMIC_ACQ_REL)) ring = 1;
    }
    if (armed && (ready == 0 || (fds[2].revents & (POLLIN | POLLERR | POLLHUP)))) ring = 1;
    if (!ring) continue;
    armed = 0;
    ssize_t rc;
    do rc = send(conn, &one, 1, MSG_NOSIGNAL);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) break; /* the JS end went away */
  }
  close(conn);
  return NULL;
}

sss_doorbell *sss_doorbell_start(sss_tun *tun, const char *path, int32_t *err) {
  *err = 0;
  sss_doorbell *bell = calloc(1, sizeof *bell);
  if (!bell) {
    *err = -ENOMEM;
    return NULL;
  }
  bell->tun_fd = sss_tun_fd(tun);
  bell->listen_fd = bell->arm_fd = bell->stop_fd = -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof addr.sun_path) {
    *err = -ENAMETOOLONG;
    goto fail;
  }
  strcpy(addr.sun_path, path);
  strcpy(bell->path, path);
  bell->arm_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  bell->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  bell->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (bell->arm_fd < 0 || bell->stop_fd < 0 || bell->listen_fd < 0) {
    *err = -errno;
    goto fail;
  }
  if (bind(bell->listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      listen(bell->listen_fd, 1) < 0) {
    *err = -errno;
    goto fail;
  }
  int rc = pthread_create(&bell->thread, NULL, doorbell_main, bell);
  if (rc != 0) {
    *err = -rc;
    unlink(path);
    goto fail;
  }
  pthread_setname_np(bell->thread, "sss-doorbell");
  return bell;
fail:
  if (bell->listen_fd >= 0) close(bell->listen_fd);
  if (bell->arm_fd >= 0) close(bell->arm_fd);
  if (bell->stop_fd >= 0) close(bell->stop_fd);
  free(bell);
  return NULL;
}

static int32_t signal_fd(int fd) {
  uint64_t one = 1;
  return write(fd, &one, sizeof one) < 0 && errno != EAGAIN ? -errno : 0;
}

int32_t sss_doorbell_arm(sss_doorbell *bell, int32_t timeout_ms) {
  __atomic_store_n(&bell->timeout_ms, timeout_ms, __ATOMIC_RELEASE);
  return signal_fd(bell->arm_fd);
}

int32_t sss_doorbell_ring(sss_doorbell *bell) {
  __atomic_store_n(&bell->ring_now, 1, __ATOMIC_RELEASE);
  return signal_fd(bell->arm_fd);
}

void sss_doorbell_stop(sss_doorbell *bell) {
  if (!bell) return;
  (void)signal_fd(bell->stop_fd);
  pthread_join(bell->thread, NULL);
  if (bell->listen_fd >= 0) {
    close(bell->listen_fd);
    unlink(bell->path);
  }
  close(bell->arm_fd);
  close(bell->stop_fd);
  free(bell);
}
