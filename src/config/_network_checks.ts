/**
 * The checks between keys of a routed configuration that no single key can make: client
 * addresses inside the tunnel network and used once, client names listed once, routes that
 * overlap neither the tunnel networks nor each other, and `unlisted` only with `clients:`.
 * Runs on values the schema already accepted. Pure.
 *
 * @module
 */

import { LIMITS } from "./_schema.ts";
import { formatAddress, type IpFamily } from "../ip/address.ts";
import { overlappingPairs } from "../ip/overlaps.ts";
import {
  broadcastOf,
  contains,
  formatPrefix,
  type IpPrefix,
  maxLength,
  networkOf,
  overlaps,
  sameAddress,
} from "../ip/prefix.ts";
import { formatPath, problemAt } from "./_issues.ts";
import type { FileValues } from "./_schema.ts";
import type { YamlSource } from "./_yaml.ts";
import type { ConfigProblem } from "./errors.ts";
import { routeIntoItself, underlayLiterals } from "./_underlay.ts";

type Path = readonly PropertyKey[];

/** A prefix from the file with the key path it was written at. */
export interface Placed {
  readonly prefix: IpPrefix;
  readonly path: Path;
  /** The client whose route it is, for messages. */
  readonly owner?: string;
}

/** A tunnel network with the host's own address in it. */
interface Tunnel extends Placed {
  readonly own: Uint8Array;
}

/** The keys these checks read; each one absent when it is missing or was refused. */
export type NetworkValues =
  & Pick<FileValues, "mode">
  & Partial<Pick<FileValues, "address" | "clients" | "unlisted" | "push_routes" | "routes">>;

/** The top-level keys of {@linkcode NetworkValues}, in the file's names. */
export const NETWORK_KEYS = ["address", "clients", "unlisted", "push_routes", "routes"] as const;

/**
 * Problems between the keys of `values` (each already accepted on its own), placed in `source`.
 * A check whose keys are absent is skipped. `data` is the file as plain data, to tell a single
 * value from a list when naming entries.
 */
export function checkNetworks(
  values: NetworkValues,
  data: Readonly<Record<string, unknown>>,
  source: YamlSource,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report = (path: Path, message: string) => problems.push(problemAt(path, message, source));
  const where = (path: Path) => {
    const line = source.locate(path)?.line;
    return line === undefined ? formatPath(path) : `${formatPath(path)}, line ${line}`;
  };
  const tunnels = values.address === undefined ? undefined : tunnelNetworks(values.address, data);
  const tunnelOverlaps = (routes: readonly Placed[]) => {
    if (tunnels === undefined) return;
    for (const route of routes) {
      const tunnel = tunnels.find((t) => overlaps(t.prefix, route.prefix));
      if (tunnel === undefined) continue;
      report(
        route.path,
        `${formatPrefix(route.prefix)} ${
          route.prefix.length === tunnel.prefix.length ? "is" : "overlaps"
        } the tunnel network ${formatPrefix(tunnel.prefix)} (${
          where(tunnel.path)
        }); a route must lie outside the tunnel, so choose a tunnel network no route covers`,
      );
    }
  };
  const underlay = underlayLiterals(data);
  const intoItself = (routes: readonly Placed[]) => {
    for (const route of routes) {
      const problem = routeIntoItself(route.prefix, underlay, where);
      if (problem !== undefined) report(route.path, problem);
    }
  };
  const mutualOverlaps = (routes: readonly Placed[], fix: string) => {
    for (const [later, earlier] of overlappingPairs(routes)) {
      const owner = earlier.owner === undefined ? "" : ` of ${JSON.stringify(earlier.owner)}`;
      const relation = later.prefix.length === earlier.prefix.length
        ? `is already listed${owner === "" ? "" : ` as a route${owner}`}`
        : `overlaps ${formatPrefix(earlier.prefix)}${owner}`;
      report(
        later.path,
        `${formatPrefix(later.prefix)} ${relation} (${where(earlier.path)}); ${fix}`,
      );
    }
  };

  if (values.mode === "server") {
    if (Object.hasOwn(data, "unlisted") && !Object.hasOwn(data, "clients")) {
      report(
        ["unlisted"],
        "unlisted only applies with a clients: list; add clients: or remove unlisted:",
      );
    }
    const pushRoutes = placedList(values.push_routes ?? [], ["push_routes"]);
    tunnelOverlaps(pushRoutes);
    intoItself(pushRoutes);
    mutualOverlaps(pushRoutes, "list each network once, and no network inside another");
    if (values.clients !== undefined) {
      const clientRoutes = checkRegistry(values.clients, data, tunnels, report, where);
      tunnelOverlaps(clientRoutes);
      intoItself(clientRoutes);
      // With client_to_client: true the filters hold no other client's networks.
      if (data.client_to_client !== true && clientRoutes.length > LIMITS.registryRoutes) {
        report(
          ["clients"],
          `the clients route ${clientRoutes.length} networks in all; at most ` +
            `${LIMITS.registryRoutes} are allowed (each session's packet filter holds them all, ` +
            `to keep clients apart); merge networks into larger ones, or set client_to_client: true`,
        );
      }
      mutualOverlaps(
        clientRoutes,
        "a network is routed to one client, so list each once and none inside another",
      );
    }
  } else {
    const routes = placedList(values.routes ?? [], ["routes"]);
    tunnelOverlaps(routes);
    intoItself(routes);
    mutualOverlaps(routes, "list each network once, and no network inside another");
  }
  return problems;
}

/** The tunnel networks of `address`, each placed where its address is written. */
function tunnelNetworks(
  address: NonNullable<NetworkValues["address"]>,
  data: Readonly<Record<string, unknown>>,
): Tunnel[] {
  const { v4, v6 } = address;
  const raw = data.address;
  const indexOf = (family: IpFamily): Path => {
    if (!Array.isArray(raw)) return ["address"];
    const index = raw.findIndex((entry) => typeof entry === "string" && isFamily(entry, family));
    return index < 0 ? ["address"] : ["address", index];
  };
  const placed: Tunnel[] = [{ prefix: networkOf(v4), path: indexOf(4), own: v4.bytes }];
  if (v6 !== undefined) placed.push({ prefix: networkOf(v6), path: indexOf(6), own: v6.bytes });
  return placed;
}

function isFamily(text: string, family: IpFamily): boolean {
  return text.includes(":") === (family === 6);
}

function placedList(prefixes: readonly IpPrefix[], path: Path, owner?: string): Placed[] {
  return prefixes.map((prefix, index) =>
    owner === undefined ? { prefix, path: [...path, index] } : {
      prefix,
      path: [...path, index],
      owner,
    }
  );
}

/**
 * Checks names and addresses of the `clients:` entries; returns every entry's routes, placed.
 * Entries with `allow: false` are checked like the others: they stay in the file to be turned
 * back on, and must not then collide.
 */
function checkRegistry(
  clients: NonNullable<FileValues["clients"]>,
  data: Readonly<Record<string, unknown>>,
  tunnels: readonly Tunnel[] | undefined,
  report: (path: Path, message: string) => void,
  where: (path: Path) => string,
): Placed[] {
  const rawEntries = Array.isArray(data.clients) ? data.clients : [];
  // Name -> its first entry; like `addresses`, at most one key per entry of the bounded list.
  const names = new Map<string, number>();
  // Formatted address -> the entry and path that has it; bounded by the clients' list bound.
  const addresses = new Map<string, { readonly name: string; readonly path: Path }>();
  const routes: Placed[] = [];
  for (const [index, client] of clients.entries()) {
    const namePath = ["clients", index, "name"];
    const first = names.get(client.name);
    if (first === undefined) names.set(client.name, index);
    else {
      report(
        namePath,
        `${JSON.stringify(client.name)} is already the name of clients[${first}] (${
          where(["clients", first, "name"])
        }); list each certificate name once`,
      );
    }
    const rawEntry: unknown = rawEntries[index];
    const rawAddress = typeof rawEntry === "object" && rawEntry !== null && "address" in rawEntry
      ? rawEntry.address
      : undefined;
    for (const [slot, address] of tunnels === undefined ? [] : client.address.entries()) {
      const path = Array.isArray(rawAddress)
        ? ["clients", index, "address", slot]
        : ["clients", index, "address"];
      const problem = addressProblem(address, tunnels!, where);
      if (problem !== undefined) {
        report(path, problem);
        continue;
      }
      const key = formatAddress(address.bytes);
      const owner = addresses.get(key);
      if (owner !== undefined) {
        report(
          path,
          `${key} is already the address of ${JSON.stringify(owner.name)} (${
            where(owner.path)
          }); give each client its own address`,
        );
      } else addresses.set(key, { name: client.name, path });
    }
    routes.push(
      ...placedList(client.routes, ["clients", index, "routes"], client.name),
    );
  }
  return routes;
}

/** Why `address` cannot be a client's tunnel address, or undefined when it can. */
function addressProblem(
  address: IpPrefix,
  tunnels: readonly Tunnel[],
  where: (path: Path) => string,
): string | undefined {
  const text = formatAddress(address.bytes);
  const tunnel = tunnels.find((t) => t.prefix.family === address.family);
  if (tunnel === undefined) {
    return `${text} is an IPv6 address, but the server has no IPv6 tunnel address; ` +
      `add one to address:, e.g. address: [10.0.0.1/24, "fd00:5::1/64"], or remove ${text}`;
  }
  const network = tunnel.prefix;
  const subnet = formatPrefix(network);
  if (!contains(network, address.bytes)) {
    return `${text} is outside the tunnel network ${subnet}; choose an address inside it`;
  }
  if (sameAddress(address.bytes, tunnel.own)) {
    return `${text} is the server's own tunnel address (${
      where(tunnel.path)
    }); choose another address in ${subnet}`;
  }
  const max = maxLength(address.family);
  if (network.length < max - 1) {
    if (sameAddress(address.bytes, network.bytes)) {
      return `${text} is the network address of ${subnet}; choose a host address inside it`;
    }
    if (address.family === 4 && sameAddress(address.bytes, broadcastOf(network))) {
      return `${text} is the broadcast address of ${subnet}; choose a host address inside it`;
    }
  }
  return undefined;
}
