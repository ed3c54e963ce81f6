/* SSSonector shim: kernel settings read from /proc/sys (sysctl.c). */
#ifndef SSSONECTOR_SYSCTL_H
#define SSSONECTOR_SYSCTL_H

#include <stdint.h>

/* Whether this network namespace forwards packets of `family` (4: net.ipv4.ip_forward, 6:
 * net.ipv6.conf.all.forwarding): 1 or 0, or a negative errno. */
int32_t sss_forwarding(uint32_t family);

#endif
