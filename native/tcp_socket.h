/*
 * SSSonector shim, the carrier's TCP socket: options and TCP_INFO for a connection that the
 * runtime owns (Deno exposes no descriptor for a node:tls socket). The socket is found by its
 * endpoints among this process's descriptors, and found again before every use, so a descriptor
 * number reused by another socket after a close is never touched.
 *
 * All functions return 0 (or a value >= 0) on success and a negative errno on failure.
 */
#ifndef SSSONECTOR_TCP_SOCKET_H
#define SSSONECTOR_TCP_SOCKET_H

#include <stdint.h>

/* TCP_INFO fields that sss_tcp_info writes, in this order, as uint64_t. */
enum sss_tcp_info_field {
  SSS_TCPI_SRTT_US,
  SSS_TCPI_RTTVAR_US,
  SSS_TCPI_MIN_RTT_US,
  SSS_TCPI_TOTAL_RETRANS,
  SSS_TCPI_LOST,
  SSS_TCPI_SND_CWND,
  SSS_TCPI_SND_MSS,
  SSS_TCPI_DELIVERY_RATE, /* bytes per second */
  SSS_TCPI_PACING_RATE,   /* bytes per second */
  SSS_TCPI_NOTSENT_BYTES,
  SSS_TCPI_UNACKED,
  SSS_TCPI_BYTES_ACKED,
  SSS_TCPI_BYTES_RETRANS,
  SSS_TCPI_BYTES_RECEIVED, /* payload bytes received in order (TLS records as they came) */
  SSS_TCPI_RECV_QUEUED,    /* of those, bytes still in the receive queue, unread (SIOCINQ) */
  SSS_TCPI_FIELDS
};

/*
 * The descriptor of this process's connected TCP socket with these endpoints: `hint` when it is
 * that socket (pass -1 when there is none), else the first match among /proc/self/fd. Addresses
 * are 4 or 16 bytes; an IPv4-mapped IPv6 address matches its IPv4 address. -ENOENT: no match.
 */
int32_t sss_tcp_find(int32_t hint, const uint8_t *local, uint32_t local_len, uint32_t local_port,
                     const uint8_t *peer, uint32_t peer_len, uint32_t peer_port);

/* setsockopt(TCP_NOTSENT_LOWAT): the kernel keeps at most about `bytes` unsent. */
int32_t sss_tcp_set_notsent_lowat(int32_t fd, uint32_t bytes);

/* setsockopt(TCP_CONGESTION, name). */
int32_t sss_tcp_set_congestion(int32_t fd, const char *name);

/* getsockopt(TCP_CONGESTION) into `out` (NUL-terminated); returns the name's length. */
int32_t sss_tcp_get_congestion(int32_t fd, char *out, uint32_t cap);

/* getsockopt(TCP_INFO) into SSS_TCPI_FIELDS values. */
int32_t sss_tcp_info(int32_t fd, uint64_t *out);

/* setsockopt(TCP_USER_TIMEOUT): the connection fails once sent data stays unacknowledged this long. */
int32_t sss_tcp_set_user_timeout(int32_t fd, uint32_t ms);

/*
 * Whether the socket's local address is still assigned to an interface of its namespace: 1 yes,
 * 0 no (the address was removed: the connection cannot carry anything again).
 */
int32_t sss_tcp_local_address_present(int32_t fd);

/*
 * A thin stream (a connection that carries a few small writes, such as a sparse lane): its minimum
 * retransmission timeout lowered to `rto_min_us` (TCP_RTO_MIN_US, Linux 6.15+; the tail loss probe
 * of a lone segment waits two round trips plus this, instead of 200 ms more) and linear instead of
 * exponential retransmission timeouts while few segments are in flight
 * (TCP_THIN_LINEAR_TIMEOUTS). Returns 0, or the negative errno of the first option refused.
 */
int32_t sss_tcp_set_thin_stream(int32_t fd, uint32_t rto_min_us);

/* setsockopt(SO_MAX_PACING_RATE), bytes per second; 0: no cap. */
int32_t sss_tcp_set_max_pacing_rate(int32_t fd, uint64_t bytes_per_second);

#endif
