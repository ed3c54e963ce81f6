/**
 * The packet filter of the write path: which packets a peer may have written into the TUN device.
 * Rules are compiled here into the fixed-size records that native/filter.c scans per packet (the
 * layout is in native/filter.h); `packetVerdict` is the same decision in TypeScript, for fakes and
 * for tests that hold the two against each other. Pure.
 *
 * A packet is dropped, in this order, when it is not a well-formed IPv4/IPv6 header (malformed),
 * when it is IPv6 from a link-local (fe80::/10) or the unspecified (::) source (link-local: such
 * packets never leave their link, whatever the rules say), when the filter has source rules and
 * its source lies in none of them (spoofed), or when the first destination rule holding its
 * destination is a deny rule (destination). Allow rules come before deny rules.
 *
 * @module
 */

import { type IpPrefix, maskBytes, maxLength } from "./prefix.ts";

/** What a peer may send: sources it owns and destinations it may or may not reach. */
export interface PacketFilterRules {
  /** Networks the peer's packets must come from; none: every source passes. */
  readonly sources: readonly IpPrefix[];
  /** Destinations the peer may reach even when a deny rule holds them too. @default [] */
  readonly allowDestinations?: readonly IpPrefix[];
  /** Destinations the peer may not reach (unless an allow rule holds them). @default [] */
  readonly denyDestinations?: readonly IpPrefix[];
}

/** Rules compiled for the native shim's write path (sss_tun_write_frames). */
export interface PacketFilter {
  /** The rule records, FILTER_RULE_SIZE bytes each (native/filter.h). */
  readonly bytes: Uint8Array;
  /** How many rules `bytes` holds. */
  readonly ruleCount: number;
}

/** Bytes of one compiled rule (SSS_RULE_SIZE). */
export const FILTER_RULE_SIZE = 20;
/**
 * The most rules one filter may hold (SSS_RULE_MAX): the shim scans them linearly per packet, so
 * the bound caps the cost of a packet (about two scans of 4096 compares at worst).
 */
export const MAX_FILTER_RULES = 4096;

/** Rule kinds (SSS_RULE_*). */
export const RuleKind = { Source: 1, AllowDestination: 2, DenyDestination: 3 } as const;

/** What the filter decides about one packet (SSS_VERDICT_*). */
export const Verdict = {
  Pass: 0,
  Malformed: 1,
  LinkLocal: 2,
  Spoofed: 3,
  Destination: 4,
} as const;
export type Verdict = typeof Verdict[keyof typeof Verdict];

/** The filter without rules: every well-formed packet passes except link-local IPv6. */
export const ANY_SOURCE: PacketFilter = Object.freeze({ bytes: new Uint8Array(0), ruleCount: 0 });

/**
 * Compiles rules for the shim. Throws RangeError beyond MAX_FILTER_RULES rules and for a prefix
 * that is not a valid IPv4/IPv6 prefix (both are the program's mistakes, not the user's: the
 * configuration is checked long before).
 */
export function compilePacketFilter(rules: PacketFilterRules): PacketFilter {
  const lists: Array<readonly [number, readonly IpPrefix[]]> = [
    [RuleKind.Source, rules.sources],
    [RuleKind.AllowDestination, rules.allowDestinations ?? []],
    [RuleKind.DenyDestination, rules.denyDestinations ?? []],
  ];
  const ruleCount = lists.reduce((sum, [, list]) => sum + list.length, 0);
  if (ruleCount > MAX_FILTER_RULES) {
    throw new RangeError(
      `a packet filter holds at most ${MAX_FILTER_RULES} rules, not ${ruleCount}`,
    );
  }
  const bytes = new Uint8Array(ruleCount * FILTER_RULE_SIZE);
  let at = 0;
  for (const [kind, list] of lists) {
    for (const p of list) {
      const expected = p.family === 4 ? 4 : p.family === 6 ? 16 : 0;
      if (expected === 0 || p.bytes.length !== expected) {
        throw new RangeError(`a filter prefix of family ${p.family} has ${p.bytes.length} bytes`);
      }
      if (!Number.isInteger(p.length) || p.length < 0 || p.length > maxLength(p.family)) {
        throw new RangeError(`a filter prefix of IPv${p.family} has length ${p.length}`);
      }
      bytes[at] = kind;
      bytes[at + 1] = p.family;
      bytes[at + 2] = p.length;
      bytes.set(maskBytes(p.bytes, p.length), at + 4);
      at += FILTER_RULE_SIZE;
    }
  }
  return { bytes, ruleCount };
}

/** Whether the compiled rule at `at` holds the address `address` (same family). */
function ruleHolds(rules: Uint8Array, at: number, address: Uint8Array): boolean {
  const length = rules[at + 2]!;
  const whole = length >>> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== rules[at + 4 + i]) return false;
  const rest = length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole]! ^ rules[at + 4 + whole]!) & mask) === 0;
}

/** The filter's verdict on one IP packet, as native/filter.c decides it. */
export function packetVerdict(filter: PacketFilter, packet: Uint8Array): Verdict {
  if (packet.length < 1) return Verdict.Malformed;
  const version = packet[0]! >> 4;
  let family: 4 | 6;
  let source: Uint8Array;
  let destination: Uint8Array;
  if (version === 4 && packet.length >= 20) {
    family = 4;
    source = packet.subarray(12, 16);
    destination = packet.subarray(16, 20);
  } else if (version === 6 && packet.length >= 40) {
    family = 6;
    source = packet.subarray(8, 24);
    destination = packet.subarray(24, 40);
    if (source[0] === 0xfe && (source[1]! & 0xc0) === 0x80) return Verdict.LinkLocal;
    if (source.every((byte) => byte === 0)) return Verdict.LinkLocal;
  } else {
    return Verdict.Malformed;
  }
  const rules = filter.bytes;
  let sources = 0;
  let owned = false;
  for (let at = 0; at < rules.length; at += FILTER_RULE_SIZE) {
    if (rules[at] !== RuleKind.Source) continue;
    sources++;
    if (rules[at + 1] === family && ruleHolds(rules, at, source)) owned = true;
  }
  if (sources > 0 && !owned) return Verdict.Spoofed;
  for (let at = 0; at < rules.length; at += FILTER_RULE_SIZE) {
    if (rules[at] === RuleKind.Source || rules[at + 1] !== family) continue;
    if (!ruleHolds(rules, at, destination)) continue;
    return rules[at] === RuleKind.DenyDestination ? Verdict.Destination : Verdict.Pass;
  }
  return Verdict.Pass;
}
