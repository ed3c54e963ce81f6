/**
 * IP addresses as text and as octets in network order (4 for IPv4, 16 for IPv6): the one parser
 * per family and the one formatter of the program. Strict: dotted IPv4 without leading zeros,
 * RFC 4291 IPv6 without a zone (`%eth0`); callers that speak to users explain what they refused.
 * Pure.
 *
 * @module
 */

export type IpFamily = 4 | 6;

/** The family of 4 or 16 address octets; RangeError for any other length. */
export function familyOf(bytes: Uint8Array): IpFamily {
  if (bytes.length === 4) return 4;
  if (bytes.length === 16) return 6;
  throw new RangeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
}

const IPV4_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 4 octets of a dotted IPv4 address, or undefined when `text` is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!IPV4_OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/** The 16 octets of an IPv6 address (RFC 4291 text form), or undefined when `text` is not one. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : (halves[0] ?? "").split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] ?? "").split(":")) : [];
  const groups: number[] = [];
  const all = [...head, ...tail];
  // A trailing dotted IPv4 part stands for the last two groups.
  const last = all.at(-1);
  let v4: Uint8Array | undefined;
  if (last !== undefined && last.includes(".")) {
    v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    if (tail.length > 0) tail.pop();
    else if (halves.length === 2) return undefined; // "1.2.3.4::": the IPv4 part must come last
    else head.pop();
  }
  const toGroups = (list: string[]): number[] | undefined => {
    const out: number[] = [];
    for (const group of list) {
      if (!IPV6_GROUP.test(group)) return undefined;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const headGroups = toGroups(head);
  const tailGroups = toGroups(tail);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const wanted = v4 === undefined ? 8 : 6;
  const given = headGroups.length + tailGroups.length;
  if (halves.length === 2) {
    if (given > wanted - 1) return undefined;
    groups.push(...headGroups, ...new Array<number>(wanted - given).fill(0), ...tailGroups);
  } else {
    if (given !== wanted) return undefined;
    groups.push(...headGroups);
  }
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  }
  if (v4 !== undefined) bytes.set(v4, 12);
  return bytes;
}

/** The octets of an IPv4 or IPv6 address, or undefined when `text` is neither. */
export function parseAddress(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/**
 * Text form of 4 or 16 address octets: dotted IPv4, or IPv6 as RFC 5952 recommends (lower case,
 * the longest run of two or more zero groups shortened to "::"). Other lengths give hex octets.
 */
export function formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
