/**
 * IPv4 addresses as one unsigned 32-bit number in host order: the form only the data path uses
 * (the shim's destination index of the TUN reader, the route table's IPv4 keys), where a number
 * is cheaper than 4 octets. Everywhere else an address is octets (address.ts) or a prefix
 * (prefix.ts). Pure.
 *
 * @module
 */

/** An IPv4 address as a host-order u32 (10.0.0.1 is 0x0a000001). */
export type Ipv4Word = number;

/** The word of 4 address octets (network order). */
export function ipv4ToWord(bytes: Uint8Array): Ipv4Word {
  if (bytes.length !== 4) throw new RangeError("not an IPv4 address");
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** The 4 octets (network order) of a word. */
export function ipv4FromWord(word: Ipv4Word): Uint8Array {
  return Uint8Array.of(word >>> 24, (word >>> 16) & 0xff, (word >>> 8) & 0xff, word & 0xff);
}
