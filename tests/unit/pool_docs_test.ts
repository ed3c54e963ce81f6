/**
 * The YAML of docs/guide/pool.md is what the program accepts: each block, complete or a
 * fragment "beside the keys above" (merged into a minimal file of its mode), parses.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import { parseConfig } from "../../src/config/parse.ts";

const GUIDE = new URL("../../docs/guide/pool.md", import.meta.url);
const TLS = { cert_file: "s.crt", key_file: "s.key", ca_file: "ca.crt" };
const SERVER = { mode: "server", listen: "0.0.0.0:443", address: "10.8.0.1/24" };
const CLIENT = { mode: "client", server: "192.0.2.1:443", address: "10.8.0.10/24" };

type Tree = Record<string, unknown>;

function merge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const into = out[key];
    out[key] = typeof value === "object" && value !== null && !Array.isArray(value) &&
        typeof into === "object" && into !== null
      ? merge(into as Tree, value as Tree)
      : value;
  }
  return out;
}

Deno.test("every YAML block of docs/guide/pool.md parses (fragments in a file of each mode)", async () => {
  const text = await Deno.readTextFile(GUIDE);
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 4, `found ${blocks.length} blocks`);
  for (const block of blocks) {
    const fragment = parse(block) as Tree;
    const bases = fragment.mode === undefined ? [SERVER, CLIENT] : [{}];
    for (const base of bases) {
      const file = merge(merge(base, { security: { tls: TLS } }), fragment);
      assert.doesNotThrow(
        () => parseConfig(stringify(file), "/etc/sssonector/pool.yaml"),
        `this block of the guide:\n${block}`,
      );
    }
  }
});
