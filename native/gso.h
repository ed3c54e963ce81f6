/*
 * SSSonector shim, offload fallback: turns the frames a TUN device with offloads reads
 * (virtio_net_hdr first, TCP/UDP super-packets up to 64 KiB, checksums left partial) into plain
 * Packet frames for a peer whose device has no offloads. Pure computation: no device, no I/O, no
 * allocation.
 */
#ifndef SSSONECTOR_GSO_H
#define SSSONECTOR_GSO_H

#include <stdint.h>

#include "shim.h"

/* Counters of sss_frames_without_offload (u64 each, accumulated) */
#define SSS_PLAIN_SEGMENTS 0 /* Packet frames produced from super-packets */
#define SSS_PLAIN_DROPPED 1  /* offloaded packets that could not be converted (unsupported type) */

/* Rewrites the frames of in[0..in_len) for a peer without offloads: each PacketGso frame becomes
 * one Packet frame (checksum completed) or, for a TCP/UDP super-packet, one Packet frame per
 * segment; Packet frames are copied. Stops before a frame whose conversion does not fit in out.
 * Returns bytes of `in` consumed; *out_len receives bytes written to out. Pure: no I/O. */
int32_t sss_frames_without_offload(const uint8_t *in, uint32_t in_len, uint8_t *out,
                                   uint32_t out_cap, uint32_t *out_len, uint64_t *counters);

#endif
