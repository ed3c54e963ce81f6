/**
 * SIGHUP re-reads the server's `clients:` list, with real processes in the namespace lab: under
 * traffic, one client is added, one removed and one re-pinned to another address, and the
 * client that stays keeps its session without losing a ping. Needs root; skipped otherwise.
 */

import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";
import { PINGS_ACROSS, pingsAcross } from "../lib/pings_across.ts";

const ignore = Deno.uid() !== 0;

const BEFORE = `clients:
  - name: client
    address: 10.0.0.2
  - name: leaving
    address: 10.0.0.3
  - name: moving
    address: 10.0.0.4
unlisted: refuse
`;

const AFTER = `clients:
  - name: client
    address: 10.0.0.2
  - name: moving
    address: 10.0.0.14
  - name: newcomer
    address: 10.0.0.5
unlisted: refuse
`;

Deno.test({
  name:
    "SIGHUP applies a changed clients list under traffic: one added, one removed, one re-pinned, and the others' pings do not drop",
  ignore,
  async fn() {
    await using lab = await E2eLab.create("hupreg");
    for (const name of ["leaving", "moving", "newcomer"]) {
      await lab.issue({ certDir: lab.certDir, clientName: name });
    }
    const keep = await lab.configs({ serverExtra: BEFORE });
    const leaving = await lab.configs({ clientName: "leaving", clientAddress: "10.0.0.3/24" });
    const moving = await lab.configs({ clientName: "moving", clientAddress: "10.0.0.4/24" });
    const newcomer = await lab.configs({ clientName: "newcomer", clientAddress: "10.0.0.5/24" });
    const [leavingHost, movingHost, newHost] = [
      await lab.addHost(),
      await lab.addHost(),
      await lab.addHost(),
    ];

    const server = await lab.startServer(keep);
    await lab.startClient(keep);
    const leaver = await lab.startClient(leaving, leavingHost);
    const mover = await lab.startClient(moving, movingHost);
    const added = lab.start(newHost, newcomer.clientConfig, newcomer.clientLog);
    await added.waitForLog(/not in the server's clients list/);
    await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
    await lab.waitForPing(leavingHost, SERVER_TUNNEL_IP);

    // The HUP lands in the middle of the pings of the client that stays.
    const { pings, output } = await pingsAcross(lab, lab.client, async () => {
      const text = await Deno.readTextFile(keep.serverConfig);
      assert.ok(text.includes(BEFORE), text);
      await Deno.writeTextFile(keep.serverConfig, text.replace(BEFORE, AFTER));
      Deno.kill(server.child.pid, "SIGHUP");

      const line = await server.waitForLog(/(INFO|WARN) {2}reload: reload on SIGHUP: config.*/);
      assert.match(
        line,
        /^INFO {2}reload: reload on SIGHUP: configuration reloaded: clients applied/,
      );
      assert.match(line, /closed leaving: client leaving is not in the server's clients list/);
      assert.match(
        line,
        /closed moving: the server's clients list now gives client moving 10\.0\.0\.14/,
      );
      await leaver.waitForLog(/server closed the session: client leaving is not in the server's/);
      await mover.waitForLog(/server closed the session: the server's clients list now gives/);
      await added.waitForLog(/connected to .* as 10\.0\.0\.5/, 40_000);
      await lab.waitForPing(newHost, SERVER_TUNNEL_IP);
      const left = await lab.ping(leavingHost, SERVER_TUNNEL_IP, { count: 2 });
      assert.equal(left.ok, false, `the removed client still reaches the tunnel:\n${left.output}`);
    });
    assert.equal(pings.received, PINGS_ACROSS, output);
    // The client that stays kept its one session throughout.
    assert.equal((await server.log()).match(/client client \(.*\) is 10\.0\.0\.2/g)?.length, 1);
  },
});
