/* SSSonector shim: the kernel settings the tunnel reads, where Deno's permissions cannot reach
 * (Deno refuses every read under /proc without --allow-all). See sysctl.h. */
#define _GNU_SOURCE
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int32_t sss_forwarding(uint32_t family) {
  const char *path = family == 6 ? "/proc/sys/net/ipv6/conf/all/forwarding"
                                 : "/proc/sys/net/ipv4/ip_forward";
  if (family != 4 && family != 6) return -EINVAL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char value[8];
  ssize_t n;
  do n = read(fd, value, sizeof value);
  while (n < 0 && errno == EINTR);
  int saved = errno;
  close(fd);
  if (n < 0) return -saved;
  if (n == 0) return -EIO;
  return value[0] == '0' ? 0 : 1;
}
