/* SSSonector shim, the write path's packet filter. See filter.h for the rule layout and the
 * verdicts. */
#include "filter.h"

#include <errno.h>
#include <string.h>


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

int32_t sss_packet_verdict(const uint8_t *rules, uint32_t rules_len, const uint8_t *packet,
                           uint32_t len) {
  sss_filter f;
  int32_t rc = sss_filter_init(&f, rules, rules_len);
  return rc < 0 ? rc : sss_filter_check(&f, packet, len);
}
