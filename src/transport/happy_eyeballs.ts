/**
 * Names that move: a server given by name is looked up again at every dial (the system's
 * resolver: /etc/hosts, then DNS), and every address it has, IPv6 and IPv4, is tried the way
 * Happy Eyeballs (RFC 8305) does it: families interleaved, the next attempt started when the
 * previous one has not succeeded within a short delay, the first to complete wins and the rest
 * are abandoned.
 */
import dns from "node:dns/promises";
import { parseIpv4 } from "../ip/address.ts";

/** How long an attempt runs alone before the next address is tried too (RFC 8305: 250 ms). */
export const ATTEMPT_DELAY_MS = 250;

/** Whether `host` is an address literal (no lookup needed). */
export function isAddressLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || host.includes(":");
}

/** Addresses in the order to try them: families alternating, starting with the first's. */
export function interleave(addresses: readonly { address: string; family: number }[]): string[] {
  const first = addresses[0]?.family;
  const same = addresses.filter((a) => a.family === first).map((a) => a.address);
  const other = addresses.filter((a) => a.family !== first).map((a) => a.address);
  const order: string[] = [];
  for (let i = 0; i < Math.max(same.length, other.length); i++) {
    if (i < same.length) order.push(same[i]!);
    if (i < other.length) order.push(other[i]!);
  }
  return [...new Set(order)];
}

/** Every address of `host` now, in the order to try; throws with one line when there is none. */
export async function resolveServer(host: string): Promise<string[]> {
  if (isAddressLiteral(host)) return [host];
  try {
    return interleave(await dns.lookup(host, { all: true, verbatim: true }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(
      code === "ENOTFOUND"
        ? `the name ${host} has no address (not in DNS or /etc/hosts)`
        : `cannot look up ${host}: ${(error as Error).message}`,
    );
  }
}

/**
 * Runs `attempt` on each address, staggered by `delayMs` (a failure starts the next at once);
 * resolves with the first success and calls `abandon` on every other success that comes later.
 * Rejects with the first attempt's error when all fail.
 */
export function race<T>(
  addresses: readonly string[],
  attempt: (address: string) => Promise<T>,
  abandon: (value: T) => void,
  delayMs = ATTEMPT_DELAY_MS,
): Promise<{ value: T; address: string }> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let failed = 0;
    let won = false;
    let firstError: unknown;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const start = () => {
      clearTimeout(timer);
      if (won || next >= addresses.length) return;
      const address = addresses[next++]!;
      if (next < addresses.length) timer = setTimeout(start, delayMs);
      attempt(address).then((value) => {
        if (won) return abandon(value);
        won = true;
        clearTimeout(timer);
        resolve({ value, address });
      }, (error) => {
        firstError ??= error;
        if (++failed === addresses.length && !won) reject(firstError);
        else start();
      });
    };
    start();
  });
}
