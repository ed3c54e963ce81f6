/*
 * SSSonector shim, routes and addresses through rtnetlink (NETLINK_ROUTE): no `ip` command at run
 * time. Routes go onto the TUN interface in the main table with the protocol number
 * SSS_RTPROT, so `ip route show proto 83` lists ours and a delete never removes a route that an
 * administrator or another daemon made.
 *
 * Each call opens its own netlink socket, sends one request, reads the kernel's answer and closes
 * the socket again: the calls are rare (setup, a session that starts or ends), a fresh socket
 * never sees a stale answer of an earlier call, and a socket opened after the privilege drop is
 * checked against the capabilities of the thread that opened it, not root's.
 *
 * The netlink agent. When sss_drop_privileges is asked to keep CAP_NET_ADMIN, the capability is
 * kept by one thread of this library (named "sss-netlink"), not by the thread that runs
 * JavaScript: Linux copies a thread's capabilities into every thread it starts, and the JS thread
 * starts Web Workers and the runtime's blocking-pool threads (which run `nonblocking` FFI calls)
 * long after the drop. The agent runs only this file's code and starts no thread. While it runs,
 * sss_route_add, sss_route_del and sss_addr_add hand their request to it and wait for the answer;
 * before (or without) it they run on the calling thread.
 *
 * All functions return 0 (or a value >= 0) on success and a negative errno on failure.
 */
#ifndef SSSONECTOR_NETLINK_H
#define SSSONECTOR_NETLINK_H

#include <stdint.h>

/* rtm_protocol of the routes this library adds (0x53, "S"; not in iproute2's rt_protos list). */
#define SSS_RTPROT 83

/* The kernel's index of interface `name`, or a negative errno (-ENODEV: no such interface). */
int32_t sss_if_index(const char *name);

/* Writes the name of interface `index` into name_out (16 bytes, NUL-terminated). */
int32_t sss_if_name(uint32_t index, char *name_out);

/*
 * Adds the route family/address/prefix_length (family 4 or 6; address 4 or 16 bytes in network
 * order; host bits are cleared) onto interface ifindex, main table, scope link for IPv4,
 * protocol SSS_RTPROT, with metric (RTA_PRIORITY) `metric`, or the kernel's default when 0.
 * Success when a unicast route for exactly that prefix already goes through ifindex (whoever
 * made it) with that metric (with any metric when 0). A route through ifindex with another
 * metric stays, beside the new one. When the main table routes that prefix some other way,
 * nothing is added and -EEXIST is returned with conflict[0] the interface it goes through (0
 * when it has no single interface: several next hops, or a blackhole) and conflict[1] its type
 * (RTN_*).
 */
int32_t sss_route_add(uint32_t ifindex, uint32_t family, const uint8_t *address,
                      uint32_t prefix_length, uint32_t metric, int32_t *conflict);

/* Deletes our (SSS_RTPROT) route for that prefix on ifindex with metric `metric` (0: the first
 * of any metric). A route that is not there (or an interface that is gone, with its routes) is
 * success. */
int32_t sss_route_del(uint32_t ifindex, uint32_t family, const uint8_t *address,
                      uint32_t prefix_length, uint32_t metric);

/*
 * Adds (or replaces) the address family/address/prefix_length on ifindex. An IPv6 address gets
 * IFA_F_NODAD: usable at once, never tentative. IPv6 disabled on the interface gives -EACCES;
 * IPv6 disabled on the host (ipv6.disable=1) gives -EOPNOTSUPP or -EAFNOSUPPORT.
 */
int32_t sss_addr_add(uint32_t ifindex, uint32_t family, const uint8_t *address,
                     uint32_t prefix_length);

/*
 * Reads /proc/sys/net/<name> (e.g. "ipv4/ip_forward") into buf, at most cap bytes; returns the
 * number of bytes read. Names with "..", a leading "/" or other characters than letters,
 * digits, "_", "-", "." and "/" are refused (-EINVAL). Done here because Deno's permission layer
 * refuses /proc to anything short of --allow-all.
 */
int32_t sss_net_sysctl(const char *name, uint8_t *buf, uint32_t cap);

/* The thread id of the netlink agent, 0 when it does not run. */
int32_t sss_netlink_agent_tid(void);

/* For privilege.c, the steps of a drop that keeps CAP_NET_ADMIN on the agent. */

/* Starts the agent (the process must still be root): it drops every capability but
 * CAP_NET_ADMIN from its bounding set and sets PR_SET_KEEPCAPS, so that it keeps its permitted
 * set through the uid change. -EALREADY when it runs already. */
int32_t sss_netlink_agent_start(void);

/* After the uid change: the agent sets its permitted and effective sets to CAP_NET_ADMIN alone
 * (inheritable and ambient empty) and clears PR_SET_KEEPCAPS. */
int32_t sss_netlink_agent_restrict(void);

/* Ends the agent and waits for it (its capability goes with it). Safe when it does not run. */
void sss_netlink_agent_stop(void);

#endif
