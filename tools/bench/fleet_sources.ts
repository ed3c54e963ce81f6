/**
 * Many sources for the set-up load of `bench --fleet`, as clients spread over the internet would
 * come, so that the servers run with their default caps on pending connections (8 per source,
 * 32 per /24): as `bench --sessions` does (tools/bench/sessions_bench.ts), the sources are
 * addresses of 198.19.0.0/16, consecutive ones in different /24s (its sourceAddress()), and the
 * server namespace routes that /16 through one gateway, the generator's own underlay address (one
 * neighbour for the server to resolve, however many sources).
 *
 * The generator (tools/bench/setup_load.ts) uses Deno.connectTls, which cannot bind a local
 * address and costs half node:tls's CPU per handshake; so instead of binding each connection,
 * the generator's namespace rewrites the source of each new connection to the servers (nftables
 * SNAT, `numgen inc`: the sources in turn, connection after connection). While the rules are in
 * place only the generator connects from that namespace (no tunnel runs in the set-up series).
 *
 * @module
 */

import { type FleetLab } from "../lab/fleet_lab.ts";
import type { FleetSlot } from "../lab/fleet_plan.ts";
import { LabError, run } from "../lab/netns_lab.ts";
import { sourceAddress } from "./sessions_bench.ts";

/** The /16 (two octets) the load's sources come from. */
export const LOAD_SOURCE_NETWORK = "198.19";
/** The nftables table holding the rewrite, in the generator's namespace. */
export const LOAD_NFT_TABLE = "sssonector_load_sources";

/** The first `count` source addresses of the load. */
export function loadSources(count: number): string[] {
  return Array.from({ length: count }, (_, i) => sourceAddress(LOAD_SOURCE_NETWORK, i));
}

/**
 * The nftables ruleset (for `nft -f -`) that gives each new TCP connection to `servers` on
 * `port` the next address of `sources` as its source.
 */
export function loadSourceRules(
  sources: readonly string[],
  servers: readonly string[],
  port: number,
): string {
  if (sources.length === 0 || servers.length === 0) {
    throw new RangeError("The load's source rewrite needs at least one source and one server");
  }
  const map = sources.map((source, i) => `${i} : ${source}`).join(", ");
  return [
    `table ip ${LOAD_NFT_TABLE} {`,
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    `    ip daddr { ${servers.join(", ")} } tcp dport ${port} ` +
    `snat to numgen inc mod ${sources.length} map { ${map} }`,
    "  }",
    "}",
    "",
  ].join("\n");
}

async function nft(ns: string, args: string[], stdin?: string): Promise<void> {
  const result = await run(
    "ip",
    ["netns", "exec", ns, "nft", ...args],
    stdin === undefined ? {} : { stdin },
  );
  if (result.code !== 0) {
    throw new LabError(`nft ${args.join(" ")} in ${ns} failed: ${result.stderr.trim()}`);
  }
}

/**
 * Runs `body` while connections from `generator`'s namespace to `servers` on `port` come from
 * `count` sources, routed back through the generator's underlay address; removes the rewrite
 * afterwards (the route stays: it only points the sources' /16 at the generator).
 */
export async function withLoadSources<T>(
  lab: FleetLab,
  generator: FleetSlot,
  target: { servers: readonly string[]; port: number; count: number },
  body: () => Promise<T>,
): Promise<T> {
  await lab.exec(lab.serverNs, "ip", [
    ...["route", "replace", `${LOAD_SOURCE_NETWORK}.0.0/16`, "via", generator.underlayIp],
  ]);
  const rules = loadSourceRules(loadSources(target.count), target.servers, target.port);
  await nft(generator.ns, ["-f", "-"], rules);
  try {
    return await body();
  } finally {
    await nft(generator.ns, ["delete", "table", "ip", LOAD_NFT_TABLE]).catch(() => {});
  }
}
