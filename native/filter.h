/*
 * SSSonector shim, the packet filter of the write path: which packets a peer may put into the TUN
 * device. Pure computation: no device, no I/O, no allocation.
 *
 * A filter is an array of fixed-size rules (SSS_RULE_SIZE bytes each, at most SSS_RULE_MAX),
 * compiled by src/tun/packet_filter.ts:
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

/* The verdict (SSS_VERDICT_*) for the IP packet packet[0..len). */
int32_t sss_filter_check(const sss_filter *f, const uint8_t *packet, uint32_t len);

/* sss_filter_init and sss_filter_check in one call, for tests that compare this code with the
 * TypeScript description of the same rules. Returns the verdict or a negative errno. */
int32_t sss_packet_verdict(const uint8_t *rules, uint32_t rules_len, const uint8_t *packet,
                           uint32_t len);

#endif
