/* Process facts and sd_notify for SSSonector: see process.h. */
#define _GNU_SOURCE
#include "process.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int32_t sss_notify(const char *path, const uint8_t *msg, uint32_t len) {
  if (path == NULL || msg == NULL) return -EINVAL;
  size_t path_len = strlen(path);
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path_len == 0 || path_len >= sizeof addr.sun_path) return -ENAMETOOLONG;
  memcpy(addr.sun_path, path, path_len);
  /* An abstract socket: '@' stands for the leading NUL byte, and the length counts exactly. */
  if (path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t sent = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  int saved = errno;
  close(fd);
  if (sent < 0) return -saved;
  return sent == (ssize_t)len ? 0 : -EMSGSIZE;
}

int32_t sss_open_fds(void) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) return -errno;
  int32_t count = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] != '.') count++;
  }
  closedir(dir);
  /* Leave out the descriptor opendir itself held. */
  return count > 0 ? count - 1 : 0;
}

int64_t sss_max_fds(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return -errno;
  return limit.rlim_cur == RLIM_INFINITY ? INT64_MAX : (int64_t)limit.rlim_cur;
}

uint64_t sss_monotonic_usec(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}
