import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { formatPrefix } from "../../src/ip/prefix.ts";
import { formatAddress } from "../../src/ip/address.ts";

const CONFIGS = new URL("../../configs/", import.meta.url);

async function example(name: string) {
  const url = new URL(name, CONFIGS);
  return parseConfig(await Deno.readTextFile(url), url.pathname);
}

Deno.test("every example in configs/ parses", async () => {
  const names = [...Deno.readDirSync(CONFIGS)].map((entry) => entry.name)
    .filter((name) => name.endsWith(".yaml"));
  assert.ok(names.length >= 4, `examples found: ${names}`);
  for (const name of names) await example(name);
});

Deno.test("the site-to-site examples use the routed keys and agree with each other", async () => {
  const server = await example("site-server.yaml");
  const client = await example("site-client.yaml");
  assert.ok(server.mode === "server" && client.mode === "client");
  assert.deepEqual(server.pushRoutes.map(formatPrefix), ["192.168.1.0/24"]);
  assert.equal(server.registry?.unlisted, "refuse");
  assert.deepEqual(server.registry?.clients.map((c) => [c.name, c.allow]), [
    ["branch1", true],
    ["branch2", true],
    ["laptop-alice", true],
    ["old-laptop", false],
  ]);
  assert.deepEqual(client.servers.map((s) => s.host), ["vpn1.example.com", "vpn2.example.com"]);
  assert.deepEqual(client.routes.map(formatPrefix), ["172.16.0.0/16"]);
  // The client's file takes the addresses the server's clients: entry gives branch1.
  const branch1 = server.registry?.clients.find((c) => c.name === "branch1");
  assert.deepEqual(branch1?.addresses.map((a) => formatAddress(a.bytes)), [
    formatAddress(client.address.bytes),
    client.address6 === undefined ? "none" : formatAddress(client.address6.bytes),
  ]);
});
