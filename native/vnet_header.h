/*
 * SSSonector shim, the door of the kernel: the virtio_net_hdr that a peer sends with each PacketGso
 * frame is never written to our TUN device as it came. gso_type, gso_size, hdr_len, csum_start and
 * csum_offset come from the network; the kernel trusts them to segment (a tiny gso_size on a 64 KiB
 * packet asks it for tens of thousands of segments, forwarded to a LAN) and to place checksums.
 * So the header the device gets is rebuilt from the packet itself; from the peer's header only
 * three things are taken, each checked against the packet: whether the packet is a super-packet,
 * its gso_size, and (for a single packet) where its partial checksum goes. Pure computation: no
 * device, no I/O, no allocation.
 *
 * A peer's header is accepted when, and only when:
 *   - flags hold nothing but NEEDS_CSUM and DATA_VALID (DATA_VALID is dropped from the rebuilt
 *     header: whether a checksum is right is for our kernel to find out, not for a peer to claim);
 *   - without GSO (gso_type NONE, no ECN bit): with NEEDS_CSUM, the packet is a whole IPv4/IPv6
 *     header and csum_start lies after it, with the 2-byte checksum field at csum_start +
 *     csum_offset inside the packet (tunnelled and extension-header packets keep working);
 *   - with GSO: gso_type matches the packet: TCPV4 an IPv4 TCP packet (not a fragment), TCPV6 an
 *     IPv6 packet whose next header is TCP, UDP_L4 an IPv4 or IPv6 UDP packet; the ECN bit only
 *     with TCP; UFO (GSO_UDP) and anything else refused. NEEDS_CSUM is set, csum_start is the
 *     transport header and csum_offset its checksum field (16 for TCP, 6 for UDP); the transport
 *     header (TCP data offset included) lies inside the packet; at least one payload byte;
 *     gso_size is at least 1 and a segment (headers + gso_size) fits the device's MTU (a client
 *     whose MTU is larger than the server's is already told its larger packets are lost); the
 *     segment count, payload / gso_size rounded up, is at most SSS_GSO_MAX_SEGMENTS.
 * The rebuilt header: flags NEEDS_CSUM (or 0), gso_type and gso_size as checked, hdr_len the end
 * of the transport header (GSO) or of the checksum field, csum_start/csum_offset as checked.
 */
#ifndef SSSONECTOR_VNET_HEADER_H
#define SSSONECTOR_VNET_HEADER_H

#include <stdint.h>

#include "shim.h"

/* The most segments one super-packet of a peer may ask the kernel for. An honest TCP sender's
 * 64 KiB super-packet at an MSS of 536 (the smallest path MSS in common use) is 123 segments; at
 * the usual 1,300-1,460 it is 45-50. */
#define SSS_GSO_MAX_SEGMENTS 128u

/* Why a header was refused (0: accepted) */
#define SSS_VNET_OK 0
#define SSS_VNET_SHORT 1        /* the payload is shorter than a virtio_net_hdr */
#define SSS_VNET_BAD_FLAGS 2    /* a flag other than NEEDS_CSUM / DATA_VALID */
#define SSS_VNET_BAD_PACKET 3   /* not a whole IPv4/IPv6 (and transport) header, or a fragment */
#define SSS_VNET_BAD_TYPE 4     /* gso_type unknown, or not the packet's IP version and protocol */
#define SSS_VNET_BAD_CHECKSUM 5 /* csum_start / csum_offset not where the packet says */
#define SSS_VNET_BAD_SIZE 6     /* gso_size 0, a segment above the MTU, or no payload */
#define SSS_VNET_TOO_MANY_SEGMENTS 7

/* Checks the virtio_net_hdr leading payload[0..payload_len) (header, then the IP packet) against
 * the packet and, when it is accepted, writes the header the device may get into out
 * (SSS_VNET_HDR_SIZE bytes, host byte order as the TUN device expects). mtu is the device's
 * (0: 65535). Returns SSS_VNET_OK or the reason (SSS_VNET_*); out is written only on success.
 * Costs a few comparisons: no loop over the packet. */
int32_t sss_vnet_header_rebuild(const uint8_t *payload, uint32_t payload_len, uint32_t mtu,
                                uint8_t *out);

#endif
