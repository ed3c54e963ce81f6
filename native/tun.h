/*
 * SSSonector TUN shim, the device part of SSSonector's native code (one library with gso.c and
 * privilege.c, loaded through Deno FFI).
 *
 * It owns the Linux TUN file descriptor and moves packets in batches between the device and
 * buffers laid out as SSSonector wire frames (docs/protocol.md), so that the TypeScript side does
 * no per-packet work: one call reads many packets already framed for the TLS stream, one call
 * writes every data frame found in a chunk of the received stream.
 *
 * All functions return a negative errno on failure. None of them allocates per packet. The frame
 * format is in shim.h; converting offloaded frames for peers without offloads is gso.h's job.
 */
#ifndef SSSONECTOR_TUN_H
#define SSSONECTOR_TUN_H

#include <stdint.h>

#include "shim.h"

/* sss_tun_open flags */
#define SSS_OPEN_OFFLOAD 0x1 /* IFF_VNET_HDR + TUNSETOFFLOAD (checksum and segmentation offloads) */

/* Status codes in stats[0] after sss_tun_write_frames */
#define SSS_WRITE_NEED_MORE 0    /* consumed every complete frame; the rest is an incomplete frame */
#define SSS_WRITE_CONTROL 1      /* stopped at a frame that is not a data frame, at the returned offset */
#define SSS_WRITE_BAD_FRAME 2    /* stopped at a frame whose length exceeds the limit */
#define SSS_WRITE_BAD_GSO 3      /* a PACKET_GSO frame arrived on a device without offloads */

/* Counters in the stats array of sss_tun_write_frames (u64 each, accumulated by the caller) */
#define SSS_STAT_STATUS 0
#define SSS_STAT_PACKETS 1
#define SSS_STAT_BYTES 2
#define SSS_STAT_DROPPED_SPOOFED 3
#define SSS_STAT_DROPPED_MALFORMED 4
#define SSS_STAT_DROPPED_WRITE_ERROR 5
#define SSS_STAT_COUNT 6

typedef struct sss_tun sss_tun;

/* Stages of sss_tun_open, reported in err[1] so that errors can say what failed. */
#define SSS_STAGE_OPEN 1      /* open("/dev/net/tun") */
#define SSS_STAGE_CREATE 2    /* TUNSETIFF */
#define SSS_STAGE_OFFLOAD 3   /* TUNSETVNETHDRSZ / TUNSETOFFLOAD */
#define SSS_STAGE_RESOURCES 4 /* eventfd, memory */

/* Creates (or attaches to) the TUN device `name`. Writes the kernel's name into name_out
 * (16 bytes). Returns the device, or NULL with err[0] a negative errno and err[1] the stage. */
sss_tun *sss_tun_open(const char *name, uint32_t flags, char *name_out, int32_t *err);

/* Sets IPv4 address/prefix (address in network byte order as 4 bytes), MTU, and brings it up. */
int32_t sss_tun_configure(sss_tun *tun, const uint8_t *ipv4, uint32_t prefix_length, uint32_t mtu);

/* 1 when the device was opened with offloads active, else 0. */
int32_t sss_tun_offload(const sss_tun *tun);

/* Waits up to timeout_ms for packets (or a wake-up), then reads every waiting packet that fits
 * into buf as wire frames. index receives, per packet, two u32: frame offset and IPv4 destination
 * in host order (0 for non-IPv4). Returns bytes written into buf (0 on timeout or wake-up), or a
 * negative errno. *count_out receives the number of packets. */
int32_t sss_tun_read_frames(sss_tun *tun, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
                            uint32_t *index, uint32_t index_cap, uint32_t *count_out);

/* Writes every complete data frame of buf[0..len) to the device, stopping at a control frame, an
 * incomplete frame or a bad frame (see SSS_WRITE_*). IPv4 packets whose source is not
 * allowed_source (host order; 0 allows any) are dropped and counted. Returns bytes consumed. */
int32_t sss_tun_write_frames(sss_tun *tun, const uint8_t *buf, uint32_t len,
                             uint32_t allowed_source, uint64_t *stats);

/* Makes a pending or the next sss_tun_read_frames return at once. Safe from any thread. */
int32_t sss_tun_wake(sss_tun *tun);

/* Closes the device and frees it. */
void sss_tun_close(sss_tun *tun);

/* The message for an errno value (positive or negative). */
const char *sss_strerror(int32_t err);

#endif
