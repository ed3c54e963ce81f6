/* SSSonector shim, offload fallback: segmentation and checksums for peers without offloads. See
 * gso.h for the contract. */
#include "gso.h"

#include <netinet/in.h>
#include <string.h>

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* older kernel headers lack it */
#endif

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum) {
  for (; len > 1; p += 2, len -= 2) sum += ((uint32_t)p[0] << 8) | p[1];
  if (len) sum += (uint32_t)p[0] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void store_be16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static uint16_t load_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* Pseudo-header sum for a transport segment of `len` bytes. */
static uint32_t pseudo_sum(const uint8_t *ip, int v6, uint8_t proto, uint32_t len) {
  uint32_t sum = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
  return sum + proto + (len & 0xffff) + (len >> 16);
}

/* Fills the TCP or UDP checksum of a finished packet whose transport header starts at l4. */
static void transport_checksum(uint8_t *packet, uint32_t l4, uint32_t len, int v6, uint8_t proto) {
  uint8_t *field = packet + l4 + (proto == IPPROTO_TCP ? 16 : 6);
  store_be16(field, 0);
  uint16_t c = fold(sum16(packet + l4, len - l4, pseudo_sum(packet, v6, proto, len - l4)));
  if (proto == IPPROTO_UDP && c == 0) c = 0xffff;
  store_be16(field, c);
}

/* Writes one Packet frame holding headers (hdr_len bytes of `packet`) and payload chunk. */
static uint32_t emit_segment(uint8_t *out, const uint8_t *packet, uint32_t hdr_len, int v6,
                             uint32_t l4, uint8_t proto, const uint8_t *chunk, uint32_t chunk_len,
                             uint32_t index, int last) {
  uint8_t *seg = out + SSS_FRAME_HEADER_SIZE;
  uint32_t len = hdr_len + chunk_len;
  memcpy(seg, packet, hdr_len);
  memcpy(seg + hdr_len, chunk, chunk_len);
  if (v6) {
    store_be16(seg + 4, (uint16_t)(len - 40));
  } else {
    store_be16(seg + 2, (uint16_t)len);
    store_be16(seg + 4, (uint16_t)(load_be16(packet + 4) + index));
    store_be16(seg + 10, 0);
    store_be16(seg + 10, fold(sum16(seg, l4, 0)));
  }
  if (proto == IPPROTO_TCP) {
    uint8_t flags = packet[l4 + 13];
    if (!last) flags &= (uint8_t)~0x09; /* FIN, PSH only on the last segment */
    if (index) flags &= (uint8_t)~0x80; /* CWR only on the first */
    seg[l4 + 13] = flags;
  } else {
    store_be16(seg + l4 + 4, (uint16_t)(len - l4));
  }
  sss_store_be32(out, ((uint32_t)SSS_FRAME_PACKET << 24) | len);
  return SSS_FRAME_HEADER_SIZE + len;
}

/* Converts one offloaded packet (vnet header first). Returns bytes written to out, 0 when it does
 * not fit, or UINT32_MAX when the packet cannot be converted and is dropped. */
static uint32_t convert_packet(const uint8_t *payload, uint32_t payload_len, uint8_t *out,
                               uint32_t room) {
  struct virtio_net_hdr h;
  if (payload_len < SSS_VNET_HDR_SIZE) return UINT32_MAX;
  memcpy(&h, payload, sizeof h);
  const uint8_t *packet = payload + SSS_VNET_HDR_SIZE;
  uint32_t len = payload_len - SSS_VNET_HDR_SIZE;
  uint8_t gso = h.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

  if (gso == VIRTIO_NET_HDR_GSO_NONE) {
    if (room < SSS_FRAME_HEADER_SIZE + len) return 0;
    uint8_t *copy = out + SSS_FRAME_HEADER_SIZE;
    memcpy(copy, packet, len);
    if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      /* CHECKSUM_PARTIAL: the field holds the pseudo-header sum; sum from csum_start to end. */
      uint32_t start = h.csum_start, at = start + h.csum_offset;
      if (start >= len || at + 2 > len) return UINT32_MAX;
      store_be16(copy + at, fold(sum16(copy + start, len - start, 0)));
    }
    sss_store_be32(out, ((uint32_t)SSS_FRAME_PACKET << 24) | len);
    return SSS_FRAME_HEADER_SIZE + len;
  }

  int v6;
  uint32_t l4;
  uint8_t proto;
  if (len < 20) return UINT32_MAX;
  if ((packet[0] >> 4) == 4) {
    v6 = 0;
    l4 = (uint32_t)(packet[0] & 0x0f) * 4;
    proto = packet[9];
  } else if ((packet[0] >> 4) == 6 && len >= 40) {
    v6 = 1;
    l4 = 40;
    proto = packet[6]; /* extension headers are not segmented: such packets are dropped */
  } else {
    return UINT32_MAX;
  }
  uint32_t hdr_len;
  if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) && proto == IPPROTO_TCP &&
      len >= l4 + 20) {
    hdr_len = l4 + (uint32_t)(packet[l4 + 12] >> 4) * 4;
  } else if (gso == VIRTIO_NET_HDR_GSO_UDP_L4 && proto == IPPROTO_UDP && len >= l4 + 8) {
    hdr_len = l4 + 8;
  } else {
    return UINT32_MAX;
  }
  uint32_t mss = h.gso_size;
  if (hdr_len > len || mss == 0) return UINT32_MAX;
  uint32_t data = len - hdr_len;
  uint32_t segments = data == 0 ? 1 : (data + mss - 1) / mss;
  if (room < segments * (SSS_FRAME_HEADER_SIZE + hdr_len) + data) return 0;

  uint32_t written = 0, seq = proto == IPPROTO_TCP ? sss_load_be32(packet + l4 + 4) : 0;
  for (uint32_t i = 0; i < segments; i++) {
    uint32_t chunk = data - i * mss < mss ? data - i * mss : mss;
    uint8_t *frame = out + written;
    written += emit_segment(frame, packet, hdr_len, v6, l4, proto, packet + hdr_len + i * mss, chunk,
                            i, i + 1 == segments);
    uint8_t *seg = frame + SSS_FRAME_HEADER_SIZE;
    if (proto == IPPROTO_TCP) sss_store_be32(seg + l4 + 4, seq + i * mss);
    transport_checksum(seg, l4, hdr_len + chunk, v6, proto);
  }
  return written;
}

int32_t sss_frames_without_offload(const uint8_t *in, uint32_t in_len, uint8_t *out,
                                   uint32_t out_cap, uint32_t *out_len, uint64_t *counters) {
  uint32_t off = 0, written = 0;
  while (in_len - off >= SSS_FRAME_HEADER_SIZE) {
    uint32_t header = sss_load_be32(in + off);
    uint32_t type = header >> 24, payload_len = header & 0xffffffu;
    if (in_len - off - SSS_FRAME_HEADER_SIZE < payload_len) break;
    const uint8_t *payload = in + off + SSS_FRAME_HEADER_SIZE;
    uint32_t room = out_cap - written;
    if (type == SSS_FRAME_PACKET_GSO) {
      uint32_t n = convert_packet(payload, payload_len, out + written, room);
      if (n == 0) break;
      if (n == UINT32_MAX) {
        counters[SSS_PLAIN_DROPPED]++;
      } else {
        written += n;
        counters[SSS_PLAIN_SEGMENTS]++;
      }
    } else {
      if (room < SSS_FRAME_HEADER_SIZE + payload_len) break;
      memcpy(out + written, in + off, SSS_FRAME_HEADER_SIZE + payload_len);
      written += SSS_FRAME_HEADER_SIZE + payload_len;
    }
    off += SSS_FRAME_HEADER_SIZE + payload_len;
  }
  *out_len = written;
  return (int32_t)off;
}
