/**
 * `./sssonector bench --footprint`: where a tunnel process's memory goes before it carries a
 * byte. Each layer is a fresh Deno process (tools/bench/footprint_probe.ts) with the program's
 * flags that imports one more part of what the tunnel loads: nothing, the runtime's Node layer
 * (node:tls and friends, which the TLS transport needs), the npm packages, then SSSonector's own
 * modules for a server and for a client, the monitor on top, and the server's modules once more
 * with Deno's code cache (which the program runs without: src/runtime/v8_flags.ts). Prints RSS,
 * PSS, private memory and V8's heap for each, and what each layer added. No root, no lab: it
 * measures module graphs, not traffic (the idle and loaded tunnel are `bench`'s memory table).
 *
 * @module
 */

import { formatColumns } from "./table.ts";
import type { ProbeResult } from "./footprint_probe.ts";
import { CODE_CACHE_FLAG, v8FlagsArgument } from "../../src/runtime/v8_flags.ts";
import { errorMessage } from "../../src/base/error_message.ts";

const PROBE = new URL("./footprint_probe.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
const src = (path: string) => new URL(`../../src/${path}`, import.meta.url).href;

/** The Node modules the TLS transport and the rest of src/ use. */
const NODE = ["node:tls", "node:net", "node:crypto", "node:fs", "node:process"];
/** deno.json's npm packages that a tunnel imports (prom-client only with the monitor). */
const NPM = ["yaml", "pkijs", "asn1js", "@logtape/logtape"];
const SERVER = [src("run_tunnel.ts"), src("server/server.ts")];
const CLIENT = [src("run_tunnel.ts"), src("client/client.ts")];

export interface FootprintLayer {
  readonly label: string;
  readonly modules: readonly string[];
  /** The layer this one adds to (its index): the "added" column is the difference. */
  readonly base?: number;
  /** Run with Deno's V8 code cache (warmed by a first run) instead of without. */
  readonly codeCache?: boolean;
}

export const FOOTPRINT_LAYERS: readonly FootprintLayer[] = [
  { label: "deno, nothing imported", modules: [] },
  { label: "+ Node layer (node:tls, net, crypto, fs, process)", modules: NODE, base: 0 },
  {
    label: "+ npm packages (yaml, pkijs, asn1js, logtape)",
    modules: [...NODE, ...NPM],
    base: 1,
  },
  { label: "+ SSSonector's modules, server mode", modules: [...NODE, ...NPM, ...SERVER], base: 2 },
  { label: "+ SSSonector's modules, client mode", modules: [...NODE, ...NPM, ...CLIENT], base: 2 },
  {
    label: "server + the monitor (prom-client, HTTP)",
    modules: [...NODE, ...NPM, ...SERVER, src("monitor/monitor.ts")],
    base: 3,
  },
  {
    label: "server, with Deno's code cache",
    modules: [...NODE, ...NPM, ...SERVER],
    base: 3,
    codeCache: true,
  },
];

async function probe(layer: FootprintLayer): Promise<ProbeResult> {
  const args = [
    "run",
    "-A",
    "--frozen",
    "--quiet",
    "--config",
    DENO_JSON,
    ...(layer.codeCache ? [] : [CODE_CACHE_FLAG]),
    v8FlagsArgument(),
    PROBE,
    ...layer.modules,
  ];
  // The code cache is written by the first run and used by the next, as at a service's restart.
  const runs = layer.codeCache ? 2 : 1;
  let output: Deno.CommandOutput | undefined;
  for (let run = 0; run < runs; run++) {
    output = await new Deno.Command(Deno.execPath(), { args, stdin: "null" }).output();
  }
  const text = new TextDecoder().decode(output!.stdout).trim();
  if (!output!.success || !text.startsWith("{")) {
    const stderr = new TextDecoder().decode(output!.stderr).trim().split("\n").slice(-3).join(" ");
    throw new Error(`the probe of "${layer.label}" failed (exit ${output!.code}): ${stderr}`);
  }
  return JSON.parse(text.split("\n").at(-1)!) as ProbeResult;
}

const mib = (kib: number) => (kib / 1024).toFixed(1);

/** The table: each layer's memory, and what it added to its base layer in private memory. */
export function formatFootprint(
  results: readonly { layer: FootprintLayer; result: ProbeResult }[],
): string {
  const rows = results.map(({ layer, result }) => {
    const base = layer.base === undefined ? undefined : results[layer.base]?.result;
    const delta = base === undefined ? undefined : result.privateKiB - base.privateKiB;
    const added = delta === undefined ? "" : `${delta < 0 ? "" : "+"}${mib(delta)}`;
    return [
      layer.label,
      mib(result.rssKiB),
      mib(result.pssKiB),
      mib(result.privateKiB),
      added,
      `${mib(result.heapUsedKiB)}/${mib(result.heapTotalKiB)}`,
      mib(result.externalKiB),
    ];
  });
  return [
    "memory of a Deno process with the program's flags after importing each layer " +
    "(MiB; private = Private_Clean + Private_Dirty)",
    formatColumns([
      { title: "layer", align: "left" },
      { title: "rss" },
      { title: "pss" },
      { title: "private" },
      { title: "added" },
      { title: "v8 heap used/total" },
      { title: "external" },
    ], rows),
  ].join("\n");
}

/** Runs every layer in turn and prints the table; 0, or 1 when a probe failed. */
export async function runFootprint(): Promise<number> {
  try {
    const results = [];
    for (const layer of FOOTPRINT_LAYERS) {
      console.log(`==> ${layer.label}`);
      results.push({ layer, result: await probe(layer) });
    }
    console.log("");
    console.log(formatFootprint(results));
    return 0;
  } catch (error) {
    console.error(`sssonector: bench --footprint failed: ${errorMessage(error)}`);
    return 1;
  }
}
