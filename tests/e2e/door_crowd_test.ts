/**
 * A crowd at the door (issue 23): an attacker with 400 IPv4 addresses in eight /24s holds 4
 * connections from each, reopened as soon as the server closes them: idle, half a ClientHello, or
 * a TLS handshake without a certificate. Meanwhile a valid client pings through the tunnel and a
 * new valid client tries to open a session every 3 s. Every try must get its session within 5 s
 * and the pings must not suffer; the figures (time to session, loss, server RSS before, during and
 * after) are printed. Each attack runs 24 s (SSSONECTOR_CROWD_SECONDS makes it longer, for soak).
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import type { LabHost } from "../../tools/lab/netns_lab.ts";
import { rssMiB } from "../lib/proc_stats.ts";
import { parsePing } from "../../tools/lab/ping.ts";

const root = Deno.uid() === 0;
const SECONDS = Number(Deno.env.get("SSSONECTOR_CROWD_SECONDS") ?? "24");
const RATE = Deno.env.get("SSSONECTOR_CROWD_RATE") ?? "4000";
const CROWD = new URL("../../tools/lab/crowd.ts", import.meta.url).pathname;
const NETWORKS = 8, PER_NETWORK = 50, PER_SOURCE = 4;
const TRY_EVERY_MS = 3000, TRY_LIMIT_MS = 8000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function crowdAttack(kind: "idle" | "half" | "nocert") {
  await using lab = await E2eLab.create(`crowd${kind}`);
  const attacker = await lab.addHost();
  const newcomerHost = await lab.addHost();
  await lab.issue({ certDir: lab.certDir, clientName: "newbie" });
  const sources: string[] = [];
  for (let n = 1; n <= NETWORKS; n++) {
    for (let h = 1; h <= PER_NETWORK; h++) sources.push(`10.201.${n}.${h}`);
  }
  const batch = `${lab.dir}/crowd-addresses.batch`;
  await Deno.writeTextFile(
    batch,
    sources.map((ip) => `addr add ${ip}/32 dev ${attacker.veth}\n`).join(""),
  );
  await lab.net.exec(attacker, "ip", ["-batch", batch]);
  await lab.net.exec(lab.server, "ip", ["route", "add", "10.201.0.0/16", "via", attacker.ip]);

  const configs = await lab.configs();
  const server = await lab.startServer(configs);
  await lab.startClient(configs);
  await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
  const pid = server.child.pid;
  try {
    await attackAndMeasure(lab, kind, sources, attacker, newcomerHost, pid);
  } catch (error) {
    const log = (await server.log()).split("\n").slice(-15).join("\n");
    throw new Error(`${error}\nserver log (end):\n${log}\nstderr:\n${await server.stderr()}`);
  }
}

async function attackAndMeasure(
  lab: E2eLab,
  kind: "idle" | "half" | "nocert",
  sources: string[],
  attacker: LabHost,
  newcomerHost: LabHost,
  pid: number,
) {
  const rssBefore = await rssMiB(pid);

  const pingCount = Math.floor((SECONDS + 4) * 5);
  const pings = lab.net.try(lab.client, "ping", [
    "-n",
    "-c",
    String(pingCount),
    "-i",
    "0.2",
    "-W",
    "2",
    SERVER_TUNNEL_IP,
  ]);
  const crowd = lab.spawnScript(attacker, CROWD, [
    "crowd",
    lab.server.ip,
    String(TUNNEL_PORT),
    kind,
    sources.join(","),
    String(PER_SOURCE),
    String(SECONDS * 1000),
    RATE,
  ]);
  await delay(2000); // the crowd fills the door
  const tries = Math.floor((SECONDS * 1000 - 4000) / TRY_EVERY_MS);
  const newcomer = lab.spawnScript(newcomerHost, CROWD, [
    "newcomer",
    lab.server.ip,
    String(TUNNEL_PORT),
    lab.certDir,
    "newbie",
    "10.0.0.9/24",
    String(tries),
    String(TRY_EVERY_MS),
    String(TRY_LIMIT_MS),
  ]);
  await delay((SECONDS * 1000) / 2);
  const rssDuring = await rssMiB(pid);
  const attack = await crowd.done;
  const came = await newcomer.done;
  const ping = parsePing((await pings).stdout);
  // Memory after the crowd: the lowest within 60 s (reported, not asserted: memory targets live
  // in benchmarks).
  let rssAfter = await rssMiB(pid);
  for (let i = 0; i < 12 && rssAfter > rssBefore + 20; i++) {
    await delay(5000);
    rssAfter = Math.min(rssAfter, await rssMiB(pid));
  }
  const times = came.sessionMs as Array<number | null>;
  const loss = 1 - ping.received / ping.sent;
  console.log(
    `${kind}: crowd ${JSON.stringify(attack)}; newcomer sessions ms ${JSON.stringify(times)} ` +
      `errors ${JSON.stringify(came.errors)}; pings ${ping.received}/${ping.sent} ` +
      `(max ${ping.maxMs} ms); server RSS ${rssBefore.toFixed(0)} -> ${rssDuring.toFixed(0)} -> ${
        rssAfter.toFixed(0)
      } MiB`,
  );
  assert.ok((attack.connects as number) > sources.length * PER_SOURCE, JSON.stringify(attack));
  assert.equal(times.length, tries);
  for (const [i, ms] of times.entries()) {
    assert.ok(
      ms !== null && ms <= 5000,
      `try ${i + 1}: ${ms === null ? "no session" : `${ms} ms`}`,
    );
  }
  assert.ok(loss < 0.01, `the client already in lost ${(loss * 100).toFixed(1)} % of its pings`);
}

for (const kind of ["idle", "half", "nocert"] as const) {
  Deno.test({
    name: `a crowd of 400 addresses at the door (${kind}) keeps no new client out`,
    ignore: !root,
    fn: () => crowdAttack(kind),
  });
}
