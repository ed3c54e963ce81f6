/**
 * A server with TUN offloads and a client without: the server's TUN reader must turn its 64 KiB
 * super-packets into MTU-sized Packet frames for that client (OffloadConverter), and the client's
 * plain frames must reach the offloading server's TUN. Real processes, namespaces, TLS.
 */
import assert from "node:assert/strict";
import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { CLIENT_TUNNEL_IP, E2eLab, SERVER_TUNNEL_IP } from "../lib/e2e_lab.ts";

const BYTES = 16 * 1024 * 1024;

/** Sends BYTES over one TCP connection to `toIp`; returns what each end reports. */
async function transfer(lab: E2eLab, from: LabHost, to: LabHost, toIp: string, seed: number) {
  const receiver = lab.spawnProbe(to, ["recv", "5002", "20000"]);
  await receiver.ready;
  const sent = await lab.probe(from, ["send", toIp, "5002", String(BYTES), String(seed), "10000"]);
  return { sent, received: await receiver.done };
}

Deno.test({
  name: "a server with offloads and a client without carry TCP unchanged both ways",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("mix");
    const withOffload = await lab.configs({ offload: true });
    const without = await lab.configs({ offload: false });
    await lab.startServer(withOffload);
    await lab.startClient(without);

    const down = await transfer(lab, lab.server, lab.client, CLIENT_TUNNEL_IP, 3);
    assert.equal(down.sent.bytes, BYTES);
    assert.deepEqual(down.received, down.sent, "server -> client: bytes or SHA-256 differ");
    const up = await transfer(lab, lab.client, lab.server, SERVER_TUNNEL_IP, 4);
    assert.equal(up.sent.bytes, BYTES);
    assert.deepEqual(up.received, up.sent, "client -> server: bytes or SHA-256 differ");
  },
});
