/**
 * The rest of issue 23's crowds (the lab: tests/lib/crowd_lab.ts): 600 addresses of one IPv6 /64
 * holding one idle connection each; 400 IPv4 addresses x 4 idle connections against a server whose
 * open-file limit is 1100; and one address holding 8 idle connections, with a valid client behind
 * the same address (a NAT neighbour), which must get in and, when it is turned away for a moment,
 * be told why (a cap), never "it may have refused our certificate". Each crowd reconnects as soon
 * as the server closes a connection; a new valid client tries every 3 s and must get its session
 * within 5 s; the client already in must lose < 1 % of its pings. 20 s each
 * (SSSONECTOR_CROWD_SECONDS makes them longer).
 */
import assert from "node:assert/strict";
import {
  assertDoorHeld,
  type CrowdAttack,
  ipv4Sources,
  ipv6Sources,
  runCrowd,
} from "../lib/crowd_lab.ts";

const root = Deno.uid() === 0;
const SECONDS = Number(Deno.env.get("SSSONECTOR_CROWD_SECONDS") ?? "20");

Deno.test({
  name: "600 addresses of one IPv6 /64, one idle connection each, keep no new client out",
  ignore: !root,
  fn: async () => {
    const attack: CrowdAttack = {
      tag: "crowd6",
      kind: "idle",
      sources: ipv6Sources(600),
      perSource: 1,
      seconds: SECONDS,
    };
    assertDoorHeld(attack, await runCrowd(attack));
  },
});

Deno.test({
  name: "400 addresses x 4 idle connections keep no new client out of a server limited to 1100 fds",
  ignore: !root,
  fn: async () => {
    const attack: CrowdAttack = {
      tag: "crowdfd",
      kind: "idle",
      sources: ipv4Sources(8, 50),
      perSource: 4,
      seconds: SECONDS,
      fileLimit: 1100,
    };
    assertDoorHeld(attack, await runCrowd(attack));
  },
});

Deno.test({
  name: "a NAT neighbour holding 8 idle connections keeps no client behind its address out",
  ignore: !root,
  fn: async () => {
    const attack: CrowdAttack = {
      tag: "crowdnat",
      kind: "idle",
      sources: ["10.201.1.1"],
      perSource: 8,
      seconds: SECONDS,
      newcomerBehindAttacker: true,
    };
    const figures = await runCrowd(attack);
    const wrong = figures.errors.filter((e) => /may have refused our certificate/.test(e));
    assert.deepEqual(wrong, [], "a client turned away at a cap is told so");
    assertDoorHeld(attack, figures);
  },
});
