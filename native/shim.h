/*
 * What the packet parts of the shim share: the wire frame format (docs/design/protocol.md) and
 * the byte-order helpers that read and write it. tun.c (the device) and gso.c (segmentation and
 * checksums for peers without offloads) both build on it; with privilege.c they are linked into
 * one library.
 */
#ifndef SSSONECTOR_SHIM_H
#define SSSONECTOR_SHIM_H

#include <linux/virtio_net.h>
#include <stdint.h>

/* Wire frame header: one big-endian u32, type in the top 8 bits, payload length in the low 24. */
#define SSS_FRAME_HEADER_SIZE 4
/* Largest payload a frame may declare: a 64 KiB IP packet plus a virtio_net_hdr, with slack. */
#define SSS_FRAME_MAX_PAYLOAD 65792u

#define SSS_FRAME_PACKET 0x01     /* one IP packet */
#define SSS_FRAME_PACKET_GSO 0x02 /* virtio_net_hdr (10 bytes) + one IP packet, maybe a super-packet */

/* The virtio_net_hdr that leads every packet of a device with offloads (without num_buffers). */
#define SSS_VNET_HDR_SIZE ((uint32_t)sizeof(struct virtio_net_hdr))
#define SSS_MAX_IP_PACKET 65535u

static inline uint32_t sss_load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint16_t sss_load_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline void sss_store_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static inline void sss_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif
