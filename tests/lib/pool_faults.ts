/**
 * Faults of the pool lab (tests/lib/pool_lab.ts), made with nftables in a server's namespace: a
 * tunnel gone silent while TCP stays up, a host gone dark, and its return.
 */

import type { PoolLab, PoolServer } from "./pool_lab.ts";

/**
 * Drops what server `server` sends on its tunnel port beyond bare TCP segments (a SYN-ACK, an
 * ACK: at most 60 bytes of IPv4): the client's TCP connection stays up, its tunnel goes silent.
 */
export async function mute(lab: PoolLab, server: PoolServer): Promise<void> {
  const nft = (...args: string[]) => lab.exec(server.host, "nft", ...args);
  await nft("add", "table", "inet", "ssp_mute");
  await nft(
    "add",
    "chain",
    "inet",
    "ssp_mute",
    "out",
    "{ type filter hook output priority 0; policy accept; }",
  );
  await nft(
    "add",
    "rule",
    "inet",
    "ssp_mute",
    "out",
    "tcp",
    "sport",
    "443",
    "ip",
    "length",
    ">",
    "60",
    "drop",
  );
}

/**
 * The host of server `server` goes dark: every packet in and out of its LAN and WAN links is
 * dropped (its processes run on, unheard). {@linkcode relight} undoes it.
 */
export async function darken(lab: PoolLab, server: PoolServer): Promise<void> {
  const nft = (...args: string[]) => lab.exec(server.host, "nft", ...args);
  await nft("add", "table", "inet", "ssp_dark");
  for (const [chain, hook, dir] of [["in", "input", "iifname"], ["out", "output", "oifname"]]) {
    await nft(
      "add",
      "chain",
      "inet",
      "ssp_dark",
      chain!,
      `{ type filter hook ${hook} priority -300; policy accept; }`,
    );
    await nft("add", "rule", "inet", "ssp_dark", chain!, dir!, "{ lan0, wan0 }", "drop");
  }
}

/**
 * Server `server`'s host is back: its links pass again, and BIRD on it and on the router
 * restart their sessions at once (after a lost session BIRD waits a minute by itself).
 */
export async function relight(lab: PoolLab, server: PoolServer): Promise<void> {
  await lab.exec(server.host, "nft", "delete", "table", "inet", "ssp_dark");
  const sessions = [`server_${server.name}4`, `server_${server.name}6`];
  for (
    const [host, names] of [[server.host, ["lan_router4", "lan_router6"]], [
      lab.router,
      sessions,
    ]] as const
  ) {
    for (const name of names) {
      await lab.birdc(host, "disable", name);
      await lab.birdc(host, "enable", name);
    }
  }
  await lab.waitForBgp("established again");
}
