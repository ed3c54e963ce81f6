/**
 * The many-client lab's names and addresses, as pure functions (tools/lab/fleet_lab.ts does the
 * work). One server namespace holds a bridge; every client namespace hangs off it by a veth pair.
 *
 * - namespaces `fl-<creator pid>-<lab>-srv` and `fl-<creator pid>-<lab>-c<i>`: the creator's pid
 *   lets a later lab remove what a killed one left (see orphanPid), `<lab>` keeps one process's
 *   labs apart;
 * - underlay 198.18.0.0/16 (the benchmarking range): the server's bridge 198.18.0.1, client i
 *   198.18.0.1 + i;
 * - tunnel 10.0.0.0/24 (up to 253 clients) or 10.0.0.0/16 (more): the server 10.0.0.1, client i
 *   10.0.0.1 + i, as the single-client lab's 10.0.0.2 for client 1.
 *
 * @module
 */

import { formatAddress, parseIpv4 } from "../../src/ip/address.ts";
import { ipv4FromWord, ipv4ToWord } from "../../src/ip/ipv4_word.ts";

/** Start of every name the fleet lab gives a namespace or a device. */
export const FLEET_PREFIX = "fl";

/**
 * Most clients one lab makes: every one is a namespace, two devices, a certificate and (when
 * started) a process, and the server's default `max_clients` is 1000.
 */
export const MAX_FLEET_CLIENTS = 1000;

/** The server's address on the lab's bridge. */
export const FLEET_SERVER_UNDERLAY = "198.18.0.1";
/** Prefix of the underlay network on the bridge. */
export const FLEET_UNDERLAY_PREFIX = 16;
/** The server's tunnel address. */
export const FLEET_SERVER_TUNNEL = "10.0.0.1";
/** The bridge in the server namespace. */
export const FLEET_BRIDGE = `${FLEET_PREFIX}br0`;

/** Where one client of the lab lives and what it is called. */
export interface FleetSlot {
  /** 1-based. */
  readonly index: number;
  /** Certificate common name and file stem: `c<i>`. */
  readonly name: string;
  readonly ns: string;
  /** Its veth end in its own namespace. */
  readonly veth: string;
  /** The other end, in the server namespace, on the bridge. */
  readonly bridgePort: string;
  readonly underlayIp: string;
  /** Its tunnel address, without prefix. */
  readonly tunnelIp: string;
}

/** The tunnel prefix a lab of `clients` uses unless told: /24 while the clients fit. */
export function defaultTunnelPrefix(clients: number): 16 | 24 {
  return clients <= 253 ? 24 : 16;
}

/** Host-order address `base + offset`, refused when it leaves `base`'s /prefix network. */
function offsetAddress(base: string, offset: number, prefixLength: number, what: string): string {
  const start = ipv4ToWord(parseIpv4(base) ?? new Uint8Array(0));
  const size = 2 ** (32 - prefixLength);
  const network = start - (start % size);
  const address = start + offset;
  // The network's last address is its broadcast address, not a host.
  if (!Number.isSafeInteger(offset) || offset < 1 || address >= network + size - 1) {
    throw new RangeError(
      `${what} ${offset} does not fit the /${prefixLength} network of ${base}: use a lower index ` +
        "or a shorter prefix",
    );
  }
  return formatAddress(ipv4FromWord(address));
}

/** Client i's tunnel address (no prefix) in a tunnel of `prefixLength` (16 or 24). */
export function clientTunnelIp(index: number, prefixLength: number): string {
  return offsetAddress(FLEET_SERVER_TUNNEL, index, prefixLength, "client");
}

/** Client i's underlay address on the bridge. */
export function clientUnderlayIp(index: number): string {
  return offsetAddress(FLEET_SERVER_UNDERLAY, index, FLEET_UNDERLAY_PREFIX, "client");
}

/**
 * A lab id of `digits` random decimal digits: short, since it is part of every device name
 * (at most 15 characters).
 */
export function newLabId(random: () => number = Math.random, digits = 4): string {
  let id = "";
  for (let i = 0; i < digits; i++) id += String(Math.floor(random() * 10) % 10);
  return id;
}

/** The server namespace of a lab. */
export function serverNamespace(creatorPid: number, labId: string): string {
  return `${FLEET_PREFIX}-${creatorPid}-${labId}-srv`;
}

/** Every client's slot, 1..count. */
export function fleetSlots(
  creatorPid: number,
  labId: string,
  count: number,
  tunnelPrefix: number,
): FleetSlot[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_FLEET_CLIENTS) {
    throw new RangeError(
      `A fleet lab has 1 to ${MAX_FLEET_CLIENTS} clients, not ${count}: ask for fewer`,
    );
  }
  const slots: FleetSlot[] = [];
  for (let index = 1; index <= count; index++) {
    slots.push({
      index,
      name: `c${index}`,
      ns: `${FLEET_PREFIX}-${creatorPid}-${labId}-c${index}`,
      // "fl" + 4 digits + "c"/"s" + up to 4 digits: 11 characters at most.
      veth: `${FLEET_PREFIX}${labId}c${index}`,
      bridgePort: `${FLEET_PREFIX}${labId}s${index}`,
      underlayIp: clientUnderlayIp(index),
      tunnelIp: clientTunnelIp(index, tunnelPrefix),
    });
  }
  return slots;
}

/**
 * `ip -batch` lines (run in the host's namespace) that add the server namespace, every client
 * namespace and every veth pair, each end created inside its namespace (never in the host's).
 */
export function createNamespacesBatch(serverNs: string, slots: readonly FleetSlot[]): string {
  const lines = [`netns add ${serverNs}`];
  for (const slot of slots) {
    lines.push(
      `netns add ${slot.ns}`,
      `link add ${slot.bridgePort} netns ${serverNs} type veth peer name ${slot.veth} ` +
        `netns ${slot.ns}`,
    );
  }
  return lines.join("\n") + "\n";
}

/** `ip -batch` lines for the server namespace: loopback, the bridge with its address, its ports. */
export function serverBatch(slots: readonly FleetSlot[]): string {
  const lines = [
    "link set lo up",
    `link add ${FLEET_BRIDGE} type bridge`,
    `addr add ${FLEET_SERVER_UNDERLAY}/${FLEET_UNDERLAY_PREFIX} dev ${FLEET_BRIDGE}`,
    `link set ${FLEET_BRIDGE} up`,
  ];
  for (const slot of slots) {
    lines.push(
      `link set ${slot.bridgePort} master ${FLEET_BRIDGE}`,
      `link set ${slot.bridgePort} up`,
    );
  }
  return lines.join("\n") + "\n";
}

/** `ip -batch` lines for one client namespace: loopback, its veth end with its address. */
export function clientBatch(slot: FleetSlot): string {
  return [
    "link set lo up",
    `addr add ${slot.underlayIp}/${FLEET_UNDERLAY_PREFIX} dev ${slot.veth}`,
    `link set ${slot.veth} up`,
  ].join("\n") + "\n";
}

/** `ip -batch` lines that delete the given namespaces (and with them their devices). */
export function deleteNamespacesBatch(namespaces: readonly string[]): string {
  return namespaces.map((ns) => `netns del ${ns}`).join("\n") + "\n";
}

/** The creator pid in a fleet lab's namespace name, or undefined for any other name. */
export function orphanPid(namespace: string): number | undefined {
  const match = /^fl-(\d+)-\d+-(?:srv|c\d+)$/.exec(namespace);
  return match ? Number(match[1]) : undefined;
}

/**
 * The reaper: a shell script, started in its own session (so a terminal's Ctrl-C does not reach
 * it) with a pipe from the lab's process on standard input. When that pipe ends, because the lab
 * was disposed or because its process died in any way (deno test exits on SIGINT without running
 * anyone's clean-up), it kills what still runs in the namespaces whose names start with $1,
 * deletes them and removes the folder $2. After a normal dispose nothing is left for it to do.
 */
export const REAPER_SCRIPT = `while read -r _; do :; done
for ns in $(ip netns list | cut -d" " -f1); do
  case "$ns" in
    "$1"*) ip netns pids "$ns" | xargs -r kill -9; ip netns del "$ns" ;;
  esac
done
rm -rf -- "$2"
`;
