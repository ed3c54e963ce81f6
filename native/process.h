/*
 * SSSonector shim, process facts and service manager notification, for what Deno cannot do
 * with the permission set the program runs with:
 *
 *   sss_notify      one datagram to $NOTIFY_SOCKET (systemd's sd_notify protocol): Deno has no
 *                   stable way to send on a unix datagram socket, and node:dgram has none.
 *   sss_open_fds    the number of open descriptors: Deno refuses to read /proc/self without
 *                   --allow-all, whatever --allow-read says.
 *   sss_max_fds     the soft RLIMIT_NOFILE.
 *   sss_monotonic_usec  CLOCK_MONOTONIC in microseconds, for RELOADING=1's MONOTONIC_USEC.
 */
#ifndef SSSONECTOR_PROCESS_H
#define SSSONECTOR_PROCESS_H

#include <stdint.h>

/* Sends the len bytes of msg as one datagram to the unix socket at path (a file path, or an
 * abstract name written with a leading '@'). Returns 0, or a negative errno. */
int32_t sss_notify(const char *path, const uint8_t *msg, uint32_t len);

/* Open descriptors of this process, or a negative errno. */
int32_t sss_open_fds(void);

/* The soft limit on open descriptors, or a negative errno. */
int64_t sss_max_fds(void);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t sss_monotonic_usec(void);

#endif
