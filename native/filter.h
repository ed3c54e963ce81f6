/*
 * SSSonector shim, the packet filter of the write path: which packets a peer may put into the TUN
 * device. Pure computation: no device, no I/O, no allocation.
 *
 * A filter is an array of fixed-size rules (SSS_RULE_SIZE bytes each, at most SSS_RULE_MAX),
 * compiled by src/ip/packet_filter.ts:
 *
 *   byte 0      kind (SSS_RULE_*)
 *   byte 1      address family, 4 or 6
 *   byte 2      prefix length, 0..32 or 0..128
 *   byte 3      0
 *   bytes 4-19  the network address in network order (IPv4 in bytes 4-7, the rest 0)
 *
 * Verdict for one packet, in this order:
 *   1. not a well-formed IPv4 or IPv6 header: malformed.
 *   2. IPv6 with a link-local (fe80::/10) or unspecified (::) source: link-local, whatever the
 *      rules say (router solicitations, MLD of the peer's kernel; they never leave the link).
 *   3. when the filter has at least one SOURCE rule, a source inside none of them: spoofed.
 *   4. the first ALLOW_DESTINATION or DENY_DESTINATION rule (in array order) whose prefix holds
 *      the destination decides; a DENY is refused, no match passes.
 *
 * Cost per packet: one linear scan over the rules for the source (stopping at the first match) and,
 * when the filter has destination rules, one more for the destination; each step is a mask and a
 * compare (one 32-bit word for IPv4, two 64-bit words for IPv6). With SSS_RULE_MAX rules that is
 * at most 2 x 4096 steps, which is why the bound is there; a server's usual filter (one source,
 * a handful of destination rules) costs a few nanoseconds per packet.
 */
#ifndef SSSONECTOR_FILTER_H
#define SSSONECTOR_FILTER_H

#include <stdint.h>

#include "shim.h"

#define SSS_RULE_SIZE 20
/* The most rules a filter may have (80 KiB); beyond it sss_filter_init refuses with -E2BIG. */
#define SSS_RULE_MAX 4096

#define SSS_RULE_SOURCE 1
#define SSS_RULE_ALLOW_DESTINATION 2
#define SSS_RULE_DENY_DESTINATION 3

/* Verdicts of sss_filter_check */
#define SSS_VERDICT_PASS 0
#define SSS_VERDICT_MALFORMED 1
#define SSS_VERDICT_LINK_LOCAL 2
#define SSS_VERDICT_SPOOFED 3
#define SSS_VERDICT_DESTINATION 4

/* A checked filter: the caller's rule bytes plus what sss_filter_init learnt about them. */
typedef struct {
  const uint8_t *rules;
  uint32_t count;
  uint32_t sources;      /* SOURCE rules */
  uint32_t destinations; /* ALLOW_DESTINATION and DENY_DESTINATION rules */
} sss_filter;

/* Checks len bytes of rules (kind, family, length and padding of each) and fills f. Returns 0,
 * -EINVAL for a malformed rule or a length that is not a multiple of SSS_RULE_SIZE, -E2BIG above
 * SSS_RULE_MAX rules. Costs one pass over the rules. */
int32_t sss_filter_init(sss_filter *f, const uint8_t *rules, uint32_t len);

/* Per packet (inline, for the write loop of tun.c): */

static inline uint64_t sss_load_be64(const uint8_t *p) {
  return ((uint64_t)sss_load_be32(p) << 32) | sss_load_be32(p + 4);
}

/* The mask of the first `length` bits of a 64-bit word (length clamped to 0..64). */
static inline uint64_t sss_mask64(int length) {
  if (length <= 0) return 0;
  if (length >= 64) return ~(uint64_t)0;
  return ~(uint64_t)0 << (64 - length);
}

/* Whether rule r (of the packet's family) holds the address at a. */
static inline int sss_rule_holds(const uint8_t *r, const uint8_t *a, int v6) {
  int length = r[2];
  if (!v6) {
    uint32_t mask = length == 0 ? 0 : ~(uint32_t)0 << (32 - length);
    return ((sss_load_be32(a) ^ sss_load_be32(r + 4)) & mask) == 0;
  }
  return ((sss_load_be64(a) ^ sss_load_be64(r + 4)) & sss_mask64(length)) == 0 &&
         ((sss_load_be64(a + 8) ^ sss_load_be64(r + 12)) & sss_mask64(length - 64)) == 0;
}

/* The verdict (SSS_VERDICT_*) for the IP packet packet[0..len). */
static inline int32_t sss_filter_check(const sss_filter *f, const uint8_t *packet,
                                       uint32_t len) {
  if (len < 1) return SSS_VERDICT_MALFORMED;
  unsigned version = packet[0] >> 4;
  const uint8_t *source, *destination;
  int v6;
  if (version == 4) {
    if (len < 20) return SSS_VERDICT_MALFORMED;
    source = packet + 12;
    destination = packet + 16;
    v6 = 0;
  } else if (version == 6) {
    if (len < 40) return SSS_VERDICT_MALFORMED;
    source = packet + 8;
    destination = packet + 24;
    v6 = 1;
    if (source[0] == 0xfe && (source[1] & 0xc0) == 0x80) return SSS_VERDICT_LINK_LOCAL;
    if ((sss_load_be64(source) | sss_load_be64(source + 8)) == 0) return SSS_VERDICT_LINK_LOCAL;
  } else {
    return SSS_VERDICT_MALFORMED;
  }
  const uint8_t family = v6 ? 6 : 4;
  if (f->sources != 0) {
    int owned = 0;
    for (uint32_t i = 0; i < f->count; i++) {
      const uint8_t *r = f->rules + i * SSS_RULE_SIZE;
      if (r[0] == SSS_RULE_SOURCE && r[1] == family && sss_rule_holds(r, source, v6)) {
        owned = 1;
        break;
      }
    }
    if (!owned) return SSS_VERDICT_SPOOFED;
  }
  if (f->destinations != 0) {
    for (uint32_t i = 0; i < f->count; i++) {
      const uint8_t *r = f->rules + i * SSS_RULE_SIZE;
      if (r[0] == SSS_RULE_SOURCE || r[1] != family) continue;
      if (!sss_rule_holds(r, destination, v6)) continue;
      return r[0] == SSS_RULE_DENY_DESTINATION ? SSS_VERDICT_DESTINATION : SSS_VERDICT_PASS;
    }
  }
  return SSS_VERDICT_PASS;
}

/* sss_filter_init and sss_filter_check in one call, for tests that compare this code with the
 * TypeScript description of the same rules. Returns the verdict or a negative errno. */
int32_t sss_packet_verdict(const uint8_t *rules, uint32_t rules_len, const uint8_t *packet,
                           uint32_t len);

#endif
