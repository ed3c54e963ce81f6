/*
 * SSSonector shim, TCP MSS clamping (what OpenVPN calls mssfix): the MSS option of a TCP SYN or
 * SYN-ACK that crosses the tunnel is lowered to what fits the tunnel's MTU, so that hosts on LANs
 * with a larger MTU never send segments that the tunnel would have to drop. Pure computation: no
 * device, no I/O, no allocation.
 *
 * Only the first MSS option is looked at, and only lowered, never raised. IPv4: any header length
 * (IHL), fragments other than the first are left alone. IPv6: only TCP directly after the fixed
 * header; packets with extension headers are left alone. The TCP checksum is updated
 * incrementally (RFC 1624), unless the packet's checksum is partial (a virtio_net_hdr with
 * VIRTIO_NET_HDR_F_NEEDS_CSUM: the field holds only the pseudo-header sum and whoever completes
 * it covers the new option anyway).
 */
#ifndef SSSONECTOR_MSS_H
#define SSSONECTOR_MSS_H

#include <stdint.h>

/* The most header bytes sss_mss_syn_headers can return: a 60-byte IPv4 header and a 60-byte TCP
 * header. A copy of that many bytes is all a clamp needs to rewrite. */
#define SSS_MSS_MAX_HEADERS 120u

/* A cheap first look, inline for the per-packet loops: whether packet[0..len) may be a TCP SYN
 * (IPv4 or IPv6 carrying TCP with the SYN flag); only then is sss_mss_syn_headers worth a call. */
static inline int sss_mss_maybe_syn(const uint8_t *packet, uint32_t len) {
  if (len < 40) return 0;
  uint32_t tcp;
  if ((packet[0] >> 4) == 4) {
    if (packet[9] != 6) return 0;
    tcp = (uint32_t)(packet[0] & 0x0f) * 4;
  } else if ((packet[0] >> 4) == 6) {
    if (packet[6] != 6) return 0;
    tcp = 40;
  } else {
    return 0;
  }
  return len > tcp + 13 && (packet[tcp + 13] & 0x02);
}

/* When packet[0..len) is a TCP SYN whose MSS option is above mss4 (IPv4) or mss6 (IPv6), the
 * bytes of its IP and TCP headers (at most SSS_MSS_MAX_HEADERS), else 0. A limit of 0 turns the
 * clamp off for that family. Reads only. */
uint32_t sss_mss_syn_headers(const uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6);

/* Lowers the MSS option of the SYN in packet[0..len) to mss4 / mss6 when it is above, in place.
 * checksum_partial: nonzero when the TCP checksum field holds only the pseudo-header sum (then it
 * is left as it is). Returns 1 when the packet was changed, else 0. */
int32_t sss_mss_clamp(uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6,
                      int32_t checksum_partial);

#endif
