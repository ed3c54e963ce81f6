/**
 * The rows of `bench --wan`: the path without a tunnel, SSSonector, OpenVPN over UDP and over
 * TCP, and wireguard-go, each measured the same way (measure_row.ts) across the emulated link.
 */
import {
  measureOpenVpn,
  measureWireguard,
  type RowContext,
  sssonectorRow,
  vethRow,
} from "./rows.ts";
import type { RowMeasurement } from "./types.ts";
import { errorMessage } from "../../src/base/error_message.ts";

export type WanRowId = "none" | "sssonector" | "openvpn-udp" | "openvpn-tcp" | "wireguard-go";

export const WAN_ROW_LABELS: Readonly<Record<WanRowId, string>> = {
  "none": "no tunnel",
  "sssonector": "sssonector",
  "openvpn-udp": "openvpn-udp",
  "openvpn-tcp": "openvpn-tcp",
  "wireguard-go": "wireguard-go",
};

/** The rows whose carrier is UDP: the reference for the latency under load. */
export const UDP_ROWS: readonly WanRowId[] = ["openvpn-udp", "wireguard-go"];

export interface WanRowResult {
  readonly id: WanRowId;
  readonly status: "ok" | "skipped" | "failed";
  readonly notes: readonly string[];
  readonly measurement: RowMeasurement | null;
}

/** What the rows need besides the context: which peers are installed. */
export interface WanPeers {
  /** OpenVPN's version, or why it is missing. */
  readonly openvpn: { readonly version: string } | { readonly missing: string };
  /** wireguard-go's version, or why it is missing. */
  readonly wireguard: { readonly version: string } | { readonly missing: string };
}

async function attempt(
  ctx: RowContext,
  id: WanRowId,
  body: () => Promise<RowMeasurement>,
): Promise<WanRowResult> {
  ctx.say(`==> ${WAN_ROW_LABELS[id]}`);
  try {
    return { id, status: "ok", notes: [], measurement: await body() };
  } catch (error) {
    const text = errorMessage(error);
    ctx.say(`    failed: ${text}`);
    return { id, status: "failed", notes: [text.split("\n")[0]!.slice(0, 200)], measurement: null };
  }
}

function skipped(ctx: RowContext, id: WanRowId, why: string): WanRowResult {
  ctx.say(`==> ${WAN_ROW_LABELS[id]}: skipped: ${why}`);
  return { id, status: "skipped", notes: [why], measurement: null };
}

/** Measures one row across the link that is up now. */
export async function wanRow(ctx: RowContext, id: WanRowId, peers: WanPeers) {
  switch (id) {
    case "none":
    case "sssonector": {
      const row = id === "none" ? await vethRow(ctx) : await sssonectorRow(ctx, true);
      return { id, status: row.status, notes: row.notes, measurement: row.measurement };
    }
    case "openvpn-udp":
    case "openvpn-tcp": {
      if ("missing" in peers.openvpn) return skipped(ctx, id, peers.openvpn.missing);
      return await attempt(ctx, id, async () => {
        const dir = `${ctx.workDir}/${id}`;
        await Deno.mkdir(dir, { recursive: true });
        return await measureOpenVpn(ctx, dir, id === "openvpn-udp" ? "udp" : "tcp");
      });
    }
    case "wireguard-go": {
      if ("missing" in peers.wireguard) return skipped(ctx, id, peers.wireguard.missing);
      return await attempt(ctx, id, async () => {
        const dir = `${ctx.workDir}/${id}`;
        await Deno.mkdir(dir, { recursive: true });
        return await measureWireguard(ctx, dir);
      });
    }
  }
}
