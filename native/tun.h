/*
 * SSSonector TUN shim, the device part of SSSonector's native code (one library with gso.c and
 * privilege.c, loaded through Deno FFI).
 *
 * It owns the Linux TUN file descriptor and moves packets in batches between the device and
 * buffers laid out as wire frames (docs/design/protocol.md), so that the TypeScript side does
 * no per-packet work: one call reads many packets already framed for the TLS stream, one call
 * writes every data frame found in a chunk of the received stream.
 *
 * All functions return a negative errno on failure. None of them allocates per packet. The frame
 * format is in shim.h; converting offloaded frames for peers without offloads is gso.h's job.
 */
#ifndef SSSONECTOR_TUN_H
#define SSSONECTOR_TUN_H

#include <stdint.h>

#include "filter.h"
#include "shim.h"

/* sss_tun_open flags */
#define SSS_OPEN_OFFLOAD 0x1 /* IFF_VNET_HDR + TUNSETOFFLOAD (checksum and segmentation offloads) */

/* Status codes in stats[0] after sss_tun_write_frames */
#define SSS_WRITE_NEED_MORE 0    /* consumed every complete frame; the rest is an incomplete frame */
#define SSS_WRITE_CONTROL 1      /* stopped at a frame that is not a data frame, at the returned offset */
#define SSS_WRITE_BAD_FRAME 2    /* stopped at a frame whose length exceeds the limit */
#define SSS_WRITE_BAD_GSO 3      /* a PACKET_GSO frame arrived on a device without offloads */

/* The stats array of sss_tun_write_frames: SSS_STAT_COUNT u64. Counters are accumulated by the
 * caller (never reset here); SSS_STAT_STATUS and the SSS_STAT_SPOOFED_* report are written by each
 * call. */
#define SSS_STAT_STATUS 0
#define SSS_STAT_PACKETS 1
#define SSS_STAT_BYTES 2
#define SSS_STAT_DROPPED_SPOOFED 3     /* source inside no SOURCE rule of the filter */
#define SSS_STAT_DROPPED_MALFORMED 4   /* not an IPv4/IPv6 packet, shorter than its header, or a
                                        * PacketGso whose virtio_net_hdr is refused (vnet_header.h) */
#define SSS_STAT_DROPPED_WRITE_ERROR 5 /* the device refused the write */
#define SSS_STAT_DROPPED_DESTINATION 6 /* destination refused by a DENY_DESTINATION rule */
#define SSS_STAT_DROPPED_LINK_LOCAL 7  /* IPv6 from fe80::/10 or ::, never forwarded */
#define SSS_STAT_MSS_CLAMPED 8         /* TCP SYNs whose MSS option was lowered (sss_tun_set_mss) */
/* The source of the last packet this call dropped as spoofed: SSS_STAT_SPOOFED_FAMILY is 4 or 6
 * (0: none in this call); the 16 bytes of stats[SSS_STAT_SPOOFED_ADDRESS..+1] hold the address in
 * network order (an IPv4 address in the first 4). */
#define SSS_STAT_SPOOFED_FAMILY 9
#define SSS_STAT_SPOOFED_ADDRESS 10
#define SSS_STAT_COUNT 12

typedef struct sss_tun sss_tun;

/* Stages of sss_tun_open, reported in err[1] so that errors can say what failed. */
#define SSS_STAGE_OPEN 1      /* open("/dev/net/tun") */
#define SSS_STAGE_CREATE 2    /* TUNSETIFF */
#define SSS_STAGE_OFFLOAD 3   /* TUNSETVNETHDRSZ / TUNSETOFFLOAD */
#define SSS_STAGE_RESOURCES 4 /* eventfd, memory */

/* Creates (or attaches to) the TUN device `name`. Writes the kernel's name into name_out
 * (16 bytes). Returns the device, or NULL with err[0] a negative errno and err[1] the stage. */
sss_tun *sss_tun_open(const char *name, uint32_t flags, char *name_out, int32_t *err);

/* Sets the MTU and brings the link up. Addresses of both families are added through netlink
 * (sss_addr_add in netlink.h), one path for IPv4 and IPv6. */
int32_t sss_tun_configure(sss_tun *tun, uint32_t mtu);

/* 1 when the device was opened with offloads active, else 0. */
int32_t sss_tun_offload(const sss_tun *tun);

/* Waits up to timeout_ms for packets (or a wake-up), then reads every waiting packet that fits
 * into buf as wire frames. index receives, per packet, two u32: frame offset and IPv4 destination
 * in host order (0 for non-IPv4). TCP SYNs are MSS-clamped in place (sss_tun_set_mss). Returns
 * bytes written into buf (0 on timeout or wake-up), or a negative errno. *count_out receives the
 * number of packets. */
int32_t sss_tun_read_frames(sss_tun *tun, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                            uint32_t *index, uint32_t index_cap, uint32_t *count_out);

/* Writes every complete data frame of buf[0..len) to the device, stopping at a control frame, an
 * incomplete frame or a bad frame (see SSS_WRITE_*). Each packet first passes the packet filter
 * filter[0..filter_len) (filter.h: at most SSS_RULE_MAX rules, a linear scan per packet; an empty
 * filter passes every well-formed packet except link-local IPv6); dropped packets are counted in
 * stats. TCP SYNs above the MSS clamp are written with the MSS lowered; buf itself is never
 * changed (the rewritten headers are a copy). Returns bytes consumed, or -EINVAL / -E2BIG for a
 * malformed filter (then nothing is written). */
int32_t sss_tun_write_frames(sss_tun *tun, const uint8_t *buf, uint32_t len, const uint8_t *filter,
                             uint32_t filter_len, uint64_t *stats);

/* Sets the MSS clamp for TCP SYNs in both directions: IPv4 SYNs get at most mss4, IPv6 SYNs at
 * most mss6 (0 turns a family's clamp off; both 0 by default). Takes effect with the next read or
 * write; safe while a read is pending. Returns 0, or -EINVAL for a value above 65535. */
int32_t sss_tun_set_mss(sss_tun *tun, uint32_t mss4, uint32_t mss6);

/* The device's SYN clamp counters: out[0] SYNs clamped when read from the kernel, out[1] when
 * written to it (over all sessions). */
void sss_tun_mss_counters(const sss_tun *tun, uint64_t *out);

/* Makes a pending or the next sss_tun_read_frames return at once. Safe from any thread. */
int32_t sss_tun_wake(sss_tun *tun);

/* Closes the device and frees it. */
void sss_tun_close(sss_tun *tun);

/* The message for an errno value (positive or negative). */
const char *sss_strerror(int32_t err);

#endif
