/* SSSonector shim, the write path's packet filter. See filter.h for the rule layout and the
 * verdicts. */
#include "filter.h"

#include <errno.h>
#include <string.h>

#include "shim.h"

static inline uint64_t load_be64(const uint8_t *p) {
  return ((uint64_t)sss_load_be32(p) << 32) | sss_load_be32(p + 4);
}

/* The mask of the first `length` bits of a 64-bit word (length clamped to 0..64). */
static inline uint64_t mask64(int length) {
  if (length <= 0) return 0;
  if (length >= 64) return ~(uint64_t)0;
  return ~(uint64_t)0 << (64 - length);
}

int32_t sss_filter_init(sss_filter *f, const uint8_t *rules, uint32_t len) {
  memset(f, 0, sizeof *f);
  if (len % SSS_RULE_SIZE != 0) return -EINVAL;
  uint32_t count = len / SSS_RULE_SIZE;
  if (count > SSS_RULE_MAX) return -E2BIG;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *r = rules + i * SSS_RULE_SIZE;
    unsigned max = r[1] == 4 ? 32 : r[1] == 6 ? 128 : 0;
    if (max == 0 || r[2] > max || r[3] != 0) return -EINVAL;
    if (r[0] == SSS_RULE_SOURCE) {
      f->sources++;
    } else if (r[0] == SSS_RULE_ALLOW_DESTINATION || r[0] == SSS_RULE_DENY_DESTINATION) {
      f->destinations++;
    } else {
      return -EINVAL;
    }
  }
  f->rules = rules;
  f->count = count;
  return 0;
}

/* Whether rule r (of the packet's family) holds the address at a. */
static inline int rule_holds(const uint8_t *r, const uint8_t *a, int v6) {
  int length = r[2];
  if (!v6) {
    uint32_t mask = length == 0 ? 0 : ~(uint32_t)0 << (32 - length);
    return ((sss_load_be32(a) ^ sss_load_be32(r + 4)) & mask) == 0;
  }
  return ((load_be64(a) ^ load_be64(r + 4)) & mask64(length)) == 0 &&
         ((load_be64(a + 8) ^ load_be64(r + 12)) & mask64(length - 64)) == 0;
}

int32_t sss_filter_check(const sss_filter *f, const uint8_t *packet, uint32_t len) {
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
    if (load_be64(source) == 0 && load_be64(source + 8) == 0) return SSS_VERDICT_LINK_LOCAL;
  } else {
    return SSS_VERDICT_MALFORMED;
  }
  const uint8_t family = v6 ? 6 : 4;
  if (f->sources != 0) {
    int owned = 0;
    for (uint32_t i = 0; i < f->count; i++) {
      const uint8_t *r = f->rules + i * SSS_RULE_SIZE;
      if (r[0] == SSS_RULE_SOURCE && r[1] == family && rule_holds(r, source, v6)) {
        owned = 1;
        break;
      }
    }
    if (!owned) return SSS_VERDICT_SPOOFED;
  }
  if (f->destinations != 0) {
    for (uint32_t i = 0; i < f->count; i++) {
      const uint8_t *r = f->rules + i * SSS_RULE_SIZE;
      if (r[0] == SSS_RULE_SOURCE || r[1] != family || !rule_holds(r, destination, v6)) continue;
      return r[0] == SSS_RULE_DENY_DESTINATION ? SSS_VERDICT_DESTINATION : SSS_VERDICT_PASS;
    }
  }
  return SSS_VERDICT_PASS;
}

int32_t sss_packet_verdict(const uint8_t *rules, uint32_t rules_len, const uint8_t *packet,
                           uint32_t len) {
  sss_filter f;
  int32_t rc = sss_filter_init(&f, rules, rules_len);
  return rc < 0 ? rc : sss_filter_check(&f, packet, len);
}
