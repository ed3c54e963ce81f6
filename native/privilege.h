/*
 * SSSonector shim, least privilege: once the TUN device is open (and, on the server, the port
 * bound), the process gives up root for good. Deno has no call for this, and credentials are per
 * thread on Linux, so it is done here, for every thread of the process at once:
 *
 *   setgroups, setresgid, setresuid   glibc applies each to every thread (its SIGSETXID broadcast);
 *                                     leaving uid 0 clears every capability set.
 *   PR_SET_NO_NEW_PRIVS               no exec can ever gain privileges again (calling thread; the
 *                                     seccomp TSYNC below carries it to every other thread).
 *   seccomp filter, TSYNC             refuses, with EPERM, system calls a running tunnel never
 *                                     makes (exec, ptrace, mount, namespaces, module loading, ...);
 *                                     see privilege.c for the list and the reasons.
 *
 * With SSS_DROP_KEEP_NET_ADMIN one thread keeps CAP_NET_ADMIN, for routes that come and go with
 * sessions: the netlink agent of netlink.h, a thread of this library that runs only its route and
 * address calls and starts no thread. Every other thread, the JavaScript one and every thread
 * started later included, ends without any capability as without the flag.
 */
#ifndef SSSONECTOR_PRIVILEGE_H
#define SSSONECTOR_PRIVILEGE_H

#include <stdint.h>

/* Stages of sss_drop_privileges, reported in err[1] so that errors can say what failed. */
#define SSS_PRIV_STAGE_GROUPS 1       /* setgroups */
#define SSS_PRIV_STAGE_GID 2          /* setresgid */
#define SSS_PRIV_STAGE_UID 3          /* setresuid */
#define SSS_PRIV_STAGE_VERIFY 4       /* getresuid/getresgid do not show the new ids */
#define SSS_PRIV_STAGE_NO_NEW_PRIVS 5 /* prctl(PR_SET_NO_NEW_PRIVS) */
#define SSS_PRIV_STAGE_SECCOMP 6      /* seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) */
#define SSS_PRIV_STAGE_KEEP_START 7   /* starting the netlink agent: bounding set, PR_SET_KEEPCAPS */
#define SSS_PRIV_STAGE_KEEP_LIMIT 8   /* the agent's capset to CAP_NET_ADMIN alone */

/* sss_drop_privileges flags */
#define SSS_DROP_KEEP_NET_ADMIN 0x1 /* the netlink agent keeps CAP_NET_ADMIN (see above) */

/* Drops the process to uid/gid with exactly the n_groups supplementary groups (n_groups may be
 * 0), then sets NoNewPrivs and installs the seccomp filter on every thread. uid 0 is refused
 * (-EINVAL): that is no drop; so are unknown flags (stage 0). Returns 0, or a negative errno with
 * err[0] the same errno and err[1] the stage. A failure after SSS_PRIV_STAGE_UID leaves the ids
 * dropped: stop the process. With SSS_DROP_KEEP_NET_ADMIN, sss_netlink_agent_tid() then names
 * the one thread that keeps CAP_NET_ADMIN; a failure stops that thread. */
int32_t sss_drop_privileges(uint32_t uid, uint32_t gid, const uint32_t *groups, uint32_t n_groups,
                            uint32_t flags, int32_t *err);

/* Copies /proc/self/task/TID/status of every thread of this process into buf, one after the
 * other, each followed by a NUL byte; *len_out is the number of bytes used. A thread that ends
 * while being read is left out. Returns 0, -ENOSPC when buf is too small, or a negative errno.
 * Done here because Deno's permission layer lets no script read /proc/self without --allow-all,
 * and the tunnel runs with a narrower set (deno.json). */
int32_t sss_thread_status(uint8_t *buf, uint32_t cap, uint32_t *len_out);

#endif
