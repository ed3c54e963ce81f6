/* SSSonector shim, a peer's virtio_net_hdr checked and rebuilt before the kernel sees it. See
 * vnet_header.h for the rules and why. */
#include "vnet_header.h"

#include <netinet/in.h>
#include <string.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* older kernel headers lack it */
#endif

/* Length of the whole IPv4/IPv6 header at p (0 when there is none); *v6 and *proto describe it. */
static uint32_t ip_header(const uint8_t *p, uint32_t len, int *v6, uint8_t *proto) {
  if (len < 20) return 0;
  if ((p[0] >> 4) == 4) {
    uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > len) return 0;
    *v6 = 0;
    *proto = p[9];
    return ihl;
  }
  if ((p[0] >> 4) == 6 && len >= 40) {
    *v6 = 1;
    *proto = p[6];
    return 40;
  }
  return 0;
}

int32_t sss_vnet_header_rebuild(const uint8_t *payload, uint32_t payload_len, uint32_t mtu,
                                uint8_t *out) {
  struct virtio_net_hdr in, h;
  if (payload_len < SSS_VNET_HDR_SIZE) return SSS_VNET_SHORT;
  memcpy(&in, payload, sizeof in);
  memset(&h, 0, sizeof h);
  const uint8_t *p = payload + SSS_VNET_HDR_SIZE;
  const uint32_t len = payload_len - SSS_VNET_HDR_SIZE;
  if (in.flags & (uint8_t)~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) {
    return SSS_VNET_BAD_FLAGS;
  }
  const int needs_csum = (in.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
  const uint8_t gso = in.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  const int ecn = (in.gso_type & VIRTIO_NET_HDR_GSO_ECN) != 0;
  int v6 = 0;
  uint8_t proto = 0;
  const uint32_t l4 = ip_header(p, len, &v6, &proto);

  if (gso == VIRTIO_NET_HDR_GSO_NONE) {
    if (ecn) return SSS_VNET_BAD_TYPE;
    if (needs_csum) {
      if (l4 == 0) return SSS_VNET_BAD_PACKET;
      uint32_t start = in.csum_start, offset = in.csum_offset;
      if (start < l4 || start > len || offset > len - start || len - start - offset < 2) {
        return SSS_VNET_BAD_CHECKSUM;
      }
      h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
      h.hdr_len = (uint16_t)(start + offset + 2);
      h.csum_start = (uint16_t)start;
      h.csum_offset = (uint16_t)offset;
    }
    memcpy(out, &h, sizeof h);
    return SSS_VNET_OK;
  }

  if (l4 == 0) return SSS_VNET_BAD_PACKET;
  if (!v6 && (sss_load_be16(p + 6) & 0x3fff) != 0) return SSS_VNET_BAD_PACKET; /* a fragment */
  uint32_t end, field;
  if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
    if (proto != IPPROTO_TCP || v6 != (gso == VIRTIO_NET_HDR_GSO_TCPV6)) return SSS_VNET_BAD_TYPE;
    if (len - l4 < 20) return SSS_VNET_BAD_PACKET;
    uint32_t doff = (uint32_t)(p[l4 + 12] >> 4) * 4;
    if (doff < 20 || doff > len - l4) return SSS_VNET_BAD_PACKET;
    end = l4 + doff;
    field = 16;
  } else if (gso == VIRTIO_NET_HDR_GSO_UDP_L4 && !ecn) {
    if (proto != IPPROTO_UDP) return SSS_VNET_BAD_TYPE;
    if (len - l4 < 8) return SSS_VNET_BAD_PACKET;
    end = l4 + 8;
    field = 6;
  } else {
    return SSS_VNET_BAD_TYPE;
  }
  if (!needs_csum || in.csum_start != l4 || in.csum_offset != field) return SSS_VNET_BAD_CHECKSUM;
  const uint32_t size = in.gso_size, limit = mtu == 0 ? SSS_MAX_IP_PACKET : mtu;
  if (size == 0 || size > limit || end > limit - size || len == end) return SSS_VNET_BAD_SIZE;
  if ((len - end + size - 1) / size > SSS_GSO_MAX_SEGMENTS) return SSS_VNET_TOO_MANY_SEGMENTS;
  h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h.gso_type = in.gso_type;
  h.hdr_len = (uint16_t)end;
  h.gso_size = (uint16_t)size;
  h.csum_start = (uint16_t)l4;
  h.csum_offset = (uint16_t)field;
  memcpy(out, &h, sizeof h);
  return SSS_VNET_OK;
}
