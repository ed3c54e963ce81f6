/**
 * SIGHUP's configuration part in one process: the server's file is read again (SettingsReload,
 * as main.ts wires it) and `clients:`, `unlisted`, `push_routes` and `max_clients` apply to the
 * running server. Sessions still allowed stay as they are; those no longer allowed are closed
 * with the reason; changes that need a restart are named and keep their running value.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { SettingsReload } from "../../src/tunnel/config_changes.ts";
import {
  clientConfig,
  connected,
  deliver,
  InProcessLab,
  packet,
  refusedWith,
  serverConfig,
  serverText,
} from "../lib/in_process.ts";
import { pollUntil } from "../lib/poll.ts";

const BEFORE = `clients:
  - name: keep
    address: 10.0.0.2
  - name: leaving
    address: 10.0.0.3
  - name: moving
    address: 10.0.0.4
    routes: [192.168.4.0/24]
unlisted: refuse`;

const AFTER = `clients:
  - name: keep
    address: 10.0.0.2
  - name: moving
    address: 10.0.0.14
    routes: [192.168.4.0/24]
  - name: newcomer
    address: 10.0.0.5
unlisted: refuse
push_routes: [192.168.50.0/24]`;

Deno.test("a reloaded clients list adds, removes and re-pins clients while the others' sessions stay", async () => {
  await using lab = new InProcessLab();
  const config = serverConfig(BEFORE);
  const { server, device: srv } = await lab.startServer(config);
  let text = serverText(BEFORE);
  const reload = new SettingsReload(config, {
    load: (path) => Promise.resolve(parseConfig(text, path)),
    apply: (next) => next.mode === "server" ? server.applyConfig(next) : undefined,
  });
  const keep = lab.startClient(clientConfig("10.0.0.2/24"), "keep");
  const leaving = lab.startClient(clientConfig("10.0.0.3/24"), "leaving");
  const moving = lab.startClient(clientConfig("10.0.0.4/24"), "moving");
  const newcomer = lab.startClient(clientConfig("10.0.0.5/24"), "newcomer");
  await Promise.all([connected(keep), connected(leaving), connected(moving)]);
  await refusedWith(newcomer, /not in the server's clients list/);
  await pollUntil(() => srv.routes.has("192.168.4.0/24"), "moving's route installed");
  const kept = keep.client.session;

  text = serverText(AFTER);
  const result = await reload.reload();
  assert.equal(result.status, "applied", result.message);
  assert.match(result.message, /push_routes, clients applied/);
  assert.match(
    result.message,
    /closed leaving: client leaving is not in the server's clients list/,
  );
  assert.match(
    result.message,
    /closed moving: the server's clients list now gives client moving 10\.0\.0\.14, not 10\.0\.0\.4/,
  );

  await refusedWith(leaving, /not in the server's clients list/);
  await refusedWith(moving, /gives it 10\.0\.0\.14; set its address to 10\.0\.0\.14\/24/);
  await pollUntil(() => !srv.routes.has("192.168.4.0/24"), "moving's route left with it");
  await connected(newcomer, "the added client got in");
  // The session still allowed is the same one, and it carries packets as before.
  assert.equal(keep.client.session, kept);
  await deliver(keep.device, srv, "10.0.0.2", "10.0.0.1", 1);
  // push_routes reach sessions that open from now on: the newcomer's, not keep's.
  await pollUntil(() => newcomer.device.routes.has("192.168.50.0/24"), "newcomer got the route");
  assert.equal(keep.device.routes.has("192.168.50.0/24"), false);
  // A host with the new pin gets in with it.
  const moved = lab.startClient(clientConfig("10.0.0.14/24"), "moving");
  await connected(moved);
  await pollUntil(() => srv.routes.has("192.168.4.0/24"), "moving's route back");
});

Deno.test("a reload that changes a registered client's routes moves them on the device, session untouched", async () => {
  await using lab = new InProcessLab();
  const before = `clients:\n  - name: branch\n    address: 10.0.0.2\n    routes: [192.168.1.0/24]`;
  const config = serverConfig(before);
  const { server, device: srv } = await lab.startServer(config);
  const branch = lab.startClient(clientConfig("10.0.0.2/24"), "branch");
  await connected(branch);
  await pollUntil(() => srv.routes.has("192.168.1.0/24"), "route installed");
  const session = branch.client.session;
  const after = before.replace("192.168.1.0/24", "192.168.2.0/24");
  const reload = new SettingsReload(config, {
    load: (path) => Promise.resolve(parseConfig(serverText(after), path)),
    apply: (next) => next.mode === "server" ? server.applyConfig(next) : undefined,
  });
  const result = await reload.reload();
  assert.match(result.message, /routes of branch now 192\.168\.2\.0\/24/);
  assert.deepEqual([...srv.routes], ["192.168.2.0/24"]);
  assert.equal(branch.client.session, session);
  // Its filter follows: a source in the new network passes, one in the old is dropped.
  await deliver(branch.device, srv, "192.168.2.9", "10.0.0.1", 2);
  branch.device.send(packet("192.168.1.9", "10.0.0.1", 3));
  await deliver(branch.device, srv, "10.0.0.2", "10.0.0.1", 4);
  assert.equal(srv.received.some((p) => p[20] === 3), false);
});

Deno.test("a reload names the changes it cannot apply live, keeps their running values, and applies the rest", async () => {
  await using lab = new InProcessLab();
  const config = serverConfig("max_clients: 1");
  const { server } = await lab.startServer(config);
  const a = lab.startClient(clientConfig("10.0.0.2/24"), "a");
  await connected(a);
  const changed = serverText("max_clients: 2\nnetwork:\n  mtu: 1400", "198.18.0.1:8443")
    .replace("10.0.0.1/24", "10.0.1.1/24");
  const reload = new SettingsReload(config, {
    load: (path) => Promise.resolve(parseConfig(changed, path)),
    apply: (next) => next.mode === "server" ? server.applyConfig(next) : undefined,
  });
  const result = await reload.reload();
  assert.equal(result.status, "partial");
  assert.match(
    result.message,
    /^configuration reloaded: max_clients applied \(every live session stays\); listen, address, network\.mtu changed in \/etc\/sssonector\/server\.yaml but cannot change while running: the running values stay until a restart$/,
  );
  assert.equal(server.port, 443);
  const b = lab.startClient(clientConfig("10.0.0.3/24"), "b");
  await connected(b, "max_clients 2 applies at once");
  // A second reload of the same file: max_clients is no news, the rest is named again.
  const again = await reload.reload();
  assert.doesNotMatch(again.message, /max_clients/);
  assert.match(again.message, /^listen, address, network\.mtu changed/);
});

Deno.test("a broken file on reload keeps the running configuration and says why", async () => {
  await using lab = new InProcessLab();
  const config = serverConfig();
  const { server } = await lab.startServer(config);
  const reload = new SettingsReload(config, {
    load: (path) => Promise.resolve(parseConfig("mode: server\nlisten: nowhere\n", path)),
    apply: (next) => next.mode === "server" ? server.applyConfig(next) : undefined,
  });
  const result = await reload.reload();
  assert.equal(result.status, "kept");
  assert.match(
    result.message,
    /^configuration not reloaded, the running one stays: .*server\.yaml/,
  );
});
