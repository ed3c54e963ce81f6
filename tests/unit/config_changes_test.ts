import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { configChanges } from "../../src/tunnel/config_changes.ts";
import { TLS } from "../lib/config_text.ts";

const server = (keys: string) =>
  parseConfig(`mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\n${keys}\n${TLS}`, "s.yaml");
const client = (keys: string) =>
  parseConfig(
    `mode: client\nserver: 198.18.0.1:443\naddress: 10.0.0.2/24\n${keys}\n${TLS}`,
    "c.yaml",
  );

Deno.test("configChanges() names changed keys as the file does, live ones apart", () => {
  assert.deepEqual(configChanges(server(""), server("")), { live: [], fixed: [] });
  assert.deepEqual(
    configChanges(
      server("max_clients: 5\nclients:\n  - name: a\n"),
      server("max_clients: 6\nclients:\n  - name: b\nlogging:\n  level: debug\n"),
    ),
    { live: ["max_clients", "clients"], fixed: ["logging.level"] },
  );
  const moved = parseConfig(
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\n${TLS.replace("a.crt", "b.crt")}`,
    "s.yaml",
  );
  assert.deepEqual(configChanges(server(""), moved), {
    live: [],
    fixed: ["security.tls.cert_file"],
  });
});

Deno.test("configChanges() applies nothing live on a client, and a mode change is all it says", () => {
  assert.deepEqual(
    configChanges(client(""), client("routes: [192.168.1.0/24]\nnetwork:\n  mtu: 1400")),
    { live: [], fixed: ["routes", "network.mtu"] },
  );
  assert.deepEqual(configChanges(client(""), server("")), { live: [], fixed: ["mode"] });
});
