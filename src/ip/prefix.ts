/**
 * IP prefixes of either family (`10.0.0.0/24`, `fd00:1::/64`): what routes, tunnel addresses and
 * anti-spoofing rules are made of. Bytes are in network order, 4 for IPv4 and 16 for IPv6. Pure.
 *
 * @module
 */

import { formatIpAddress, parseIpAddress } from "./address_bytes.ts";

export type IpFamily = 4 | 6;

/** An address or network with its prefix length; `bytes` is 4 (IPv4) or 16 (IPv6) octets. */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly length: number;
}

/** The widest prefix length of a family. */
export function maxLength(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

export function familyOf(bytes: Uint8Array): IpFamily {
  if (bytes.length === 4) return 4;
  if (bytes.length === 16) return 6;
  throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
}

/** Why `text` is not `address/length`, or the prefix. Host bits may be set (an interface address). */
export function parsePrefix(text: string): IpPrefix | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIpAddress(addressText);
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

export function formatAddress(bytes: Uint8Array): string {
  return formatIpAddress(bytes);
}

/** `10.0.0.0/24`, `fd00::/64` */
export function formatPrefix(p: IpPrefix): string {
  return `${formatIpAddress(p.bytes)}/${p.length}`;
}

/** An IPv4 address as the data path's host-order u32. */
export function ipv4Number(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new RangeError("not an IPv4 address");
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

/** The 4 bytes of a host-order u32 IPv4 address. */
export function ipv4Bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}
