/* SSSonector shim, TCP MSS clamping. See mss.h for the contract. */
#include "mss.h"

#include <netinet/in.h>

#include "shim.h"

#define TCP_FLAG_SYN 0x02
#define TCP_OPTION_END 0
#define TCP_OPTION_NOP 1
#define TCP_OPTION_MSS 2

/* Where a clamp would write: the MSS value's offset in the packet, the TCP header's offset, the
 * end of the TCP header, and the value to write. */
struct mss_site {
  uint32_t value_at;
  uint32_t tcp_at;
  uint32_t headers;
  uint16_t mss;
};

/* Fills site and returns 1 when packet[0..len) is a TCP SYN with an MSS option above its family's
 * limit; else returns 0. */
static int find_site(const uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6,
                     struct mss_site *site) {
  if (len < 1) return 0;
  uint32_t tcp, limit;
  switch (packet[0] >> 4) {
    case 4:
      if (mss4 == 0 || len < 20 || packet[9] != IPPROTO_TCP) return 0;
      if ((sss_load_be16(packet + 6) & 0x1fff) != 0) return 0; /* not the first fragment */
      tcp = (uint32_t)(packet[0] & 0x0f) * 4;
      if (tcp < 20) return 0;
      limit = mss4;
      break;
    case 6:
      if (mss6 == 0 || len < 40 || packet[6] != IPPROTO_TCP) return 0; /* extension headers */
      tcp = 40;
      limit = mss6;
      break;
    default:
      return 0;
  }
  if (len < tcp + 20 || !(packet[tcp + 13] & TCP_FLAG_SYN)) return 0;
  uint32_t end = tcp + (uint32_t)(packet[tcp + 12] >> 4) * 4;
  if (end < tcp + 20 || end > len) return 0;
  for (uint32_t at = tcp + 20; at < end;) {
    uint8_t kind = packet[at];
    if (kind == TCP_OPTION_END) return 0;
    if (kind == TCP_OPTION_NOP) {
      at++;
      continue;
    }
    if (at + 1 >= end) return 0;
    uint8_t option_len = packet[at + 1];
    if (option_len < 2 || at + option_len > end) return 0; /* malformed options: hands off */
    if (kind == TCP_OPTION_MSS) {
      if (option_len != 4 || sss_load_be16(packet + at + 2) <= limit) return 0;
      site->value_at = at + 2;
      site->tcp_at = tcp;
      site->headers = end;
      site->mss = (uint16_t)limit;
      return 1;
    }
    at += option_len;
  }
  return 0;
}

uint32_t sss_mss_syn_headers(const uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6) {
  struct mss_site site;
  return find_site(packet, len, mss4, mss6, &site) ? site.headers : 0;
}

/* One's complement addition of 16-bit quantities. */
static uint32_t add16(uint32_t sum, uint32_t value) {
  sum += value;
  return (sum & 0xffff) + (sum >> 16);
}

static uint16_t swap16(uint16_t v) { return (uint16_t)((v << 8) | (v >> 8)); }

int32_t sss_mss_clamp(uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6,
                      int32_t checksum_partial) {
  struct mss_site site;
  if (!find_site(packet, len, mss4, mss6, &site)) return 0;
  uint16_t old = sss_load_be16(packet + site.value_at);
  sss_store_be16(packet + site.value_at, site.mss);
  if (checksum_partial) return 1;
  /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The checksum sums 16-bit words aligned to the TCP
   * header; a value at an odd offset adds its bytes swapped. */
  uint16_t m = old, m_new = site.mss;
  if ((site.value_at - site.tcp_at) & 1) {
    m = swap16(m);
    m_new = swap16(m_new);
  }
  uint8_t *field = packet + site.tcp_at + 16;
  uint32_t sum = (uint16_t)~sss_load_be16(field);
  sum = add16(sum, (uint16_t)~m);
  sum = add16(sum, m_new);
  sss_store_be16(field, (uint16_t)~sum);
  return 1;
}
