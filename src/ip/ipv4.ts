/** IPv4 addresses as unsigned 32-bit numbers (host order), the form the data path uses. */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses dotted-quad IPv4; throws TypeError for anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => OCTET.test(part))) {
    throw new TypeError(`Not an IPv4 address: "${text}"`);
  }
  return parts.reduce((acc, part) => ((acc << 8) | Number(part)) >>> 0, 0);
}

export function isIpv4(text: string): boolean {
  try {
    parseIpv4(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join(".");
}

export function prefixMask(prefixLength: number): number {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    throw new RangeError(`Prefix length must be 0..32: ${prefixLength}`);
  }
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

/** True when `address` lies inside network/prefixLength. */
export function inSubnet(address: number, network: number, prefixLength: number): boolean {
  const mask = prefixMask(prefixLength);
  return ((address & mask) >>> 0) === ((network & mask) >>> 0);
}

/** Parses `a.b.c.d/n` into address and prefix length; throws TypeError when malformed. */
export function parseCidr(text: string): { address: number; prefixLength: number } {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const prefixLength = match ? Number(match[2]) : NaN;
  if (!match || prefixLength < 1 || prefixLength > 32) {
    throw new TypeError(`Not an IPv4 address with prefix: "${text}"`);
  }
  return { address: parseIpv4(match[1]!), prefixLength };
}
