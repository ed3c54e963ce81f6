/**
 * IP prefixes of either family (`10.0.0.0/24`, `fd00:1::/64`): the one address type of the
 * program. The configuration's tunnel addresses and networks, a Hello's claims, admission, the
 * route table, pool routes, packet filters and status lines all hold an {@linkcode IpPrefix};
 * only the data path turns an IPv4 address into a number (ipv4_word.ts). Bytes are in network
 * order, 4 for IPv4 and 16 for IPv6. Pure.
 *
 * @module
 */

import { familyOf, formatAddress, type IpFamily, parseAddress } from "./address.ts";

/**
 * An address or network with its prefix length; `bytes` is 4 (IPv4) or 16 (IPv6) octets. The
 * one address type of the program: a tunnel address (`10.0.0.1/24`, host bits set), a network
 * (`10.0.0.0/24`) or one host (`10.0.0.11/32`). `IpPrefix<4>` is an IPv4 one.
 */
export interface IpPrefix<Family extends IpFamily = IpFamily> {
  readonly family: Family;
  readonly bytes: Uint8Array;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly length: number;
}

/** The widest prefix length of a family. */
export function maxLength(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Why `text` is not `address/length`, or the prefix. Host bits may be set (an interface address). */
export function parsePrefix(text: string): IpPrefix | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseAddress(addressText);
  if (bytes === undefined) return `"${addressText}" is not an IPv4 or IPv6 address`;
  const family = familyOf(bytes);
  const max = maxLength(family);
  if (slash < 0) return { family, bytes, length: max };
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
    return `"/${lengthText}" is not a prefix length for IPv${family} (0 to ${max})`;
  }
  return { family, bytes, length: Number(lengthText) };
}

/** Like parsePrefix, for input the program made itself: throws TypeError instead. */
export function prefix(text: string): IpPrefix {
  const parsed = parsePrefix(text);
  if (typeof parsed === "string") throw new TypeError(parsed);
  return parsed;
}

/** Like {@linkcode prefix}, for an IPv4 prefix: throws TypeError for an IPv6 one too. */
export function ipv4Prefix(text: string): IpPrefix<4> {
  const parsed = prefix(text);
  if (parsed.family !== 4) throw new TypeError(`"${text}" is not an IPv4 prefix`);
  return { ...parsed, family: 4 };
}

/** Like {@linkcode prefix}, for an IPv6 prefix: throws TypeError for an IPv4 one too. */
export function ipv6Prefix(text: string): IpPrefix<6> {
  const parsed = prefix(text);
  if (parsed.family !== 6) throw new TypeError(`"${text}" is not an IPv6 prefix`);
  return { ...parsed, family: 6 };
}

/** A host prefix (/32 or /128) for one address. */
export function hostPrefix(bytes: Uint8Array): IpPrefix {
  const family = familyOf(bytes);
  return { family, bytes, length: maxLength(family) };
}

/** `bytes` with every bit past `length` cleared (a new array). */
export function maskBytes(bytes: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  const whole = length >>> 3;
  out.set(bytes.subarray(0, whole));
  const rest = length & 7;
  if (rest !== 0 && whole < bytes.length) out[whole] = bytes[whole]! & (0xff << (8 - rest));
  return out;
}

/** The network of a prefix: its host bits cleared. */
export function networkOf(p: IpPrefix): IpPrefix {
  return { family: p.family, bytes: maskBytes(p.bytes, p.length), length: p.length };
}

/** Whether the prefix has host bits set (`10.0.0.1/24` does, `10.0.0.0/24` does not). */
export function hasHostBits(p: IpPrefix): boolean {
  const network = maskBytes(p.bytes, p.length);
  return network.some((byte, i) => byte !== p.bytes[i]);
}

/** Whether address `bytes` lies inside prefix `p` (false for another family). */
export function contains(p: IpPrefix, bytes: Uint8Array): boolean {
  if (bytes.length !== p.bytes.length) return false;
  const whole = p.length >>> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== p.bytes[i]) return false;
  const rest = p.length & 7;
  if (rest === 0) return true;
  const mask = 0xff << (8 - rest) & 0xff;
  return ((bytes[whole]! ^ p.bytes[whole]!) & mask) === 0;
}

/** Whether two prefixes share any address. */
export function overlaps(a: IpPrefix, b: IpPrefix): boolean {
  if (a.family !== b.family) return false;
  return a.length <= b.length ? contains(a, b.bytes) : contains(b, a.bytes);
}

export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export function samePrefix(a: IpPrefix, b: IpPrefix): boolean {
  return a.length === b.length && sameAddress(a.bytes, b.bytes);
}

/** `10.0.0.0/24`, `fd00::/64` */
export function formatPrefix(p: IpPrefix): string {
  return `${formatAddress(p.bytes)}/${p.length}`;
}

/** The last address of a prefix: every host bit set (an IPv4 network's broadcast address). */
export function broadcastOf(p: IpPrefix): Uint8Array {
  const bytes = maskBytes(p.bytes, p.length);
  for (let bit = p.length; bit < bytes.length * 8; bit++) {
    bytes[bit >>> 3] = bytes[bit >>> 3]! | (0x80 >>> (bit & 7));
  }
  return bytes;
}
