import assert from "node:assert/strict";
import { ServerRotation } from "../../src/client/server_rotation.ts";
import { awaitFailback, failBackWhenDue } from "../../src/client/failback.ts";
import type { SecureStream } from "../../src/transport/secure_stream.ts";
import { formatEndpoint } from "../../src/config/endpoint.ts";

const servers = [
  { host: "198.18.0.1", port: 443 },
  { host: "198.18.1.1", port: 443 },
  { host: "2001:db8::1", port: 8443 },
];

function round(rotation: ServerRotation): string[] {
  const seen: string[] = [];
  for (let next = rotation.next(); next; next = rotation.next()) {
    seen.push(`${next.number} ${formatEndpoint(next.endpoint)}`);
  }
  return seen;
}

Deno.test("ServerRotation tries the servers in the file's order, each round from the first", () => {
  const rotation = new ServerRotation(servers);
  assert.deepEqual(round(rotation), [
    "1 198.18.0.1:443",
    "2 198.18.1.1:443",
    "3 [2001:db8::1]:8443",
  ]);
  assert.equal(rotation.next(), undefined, "the round is over until a new one starts");
  rotation.startRound();
  assert.equal(rotation.next()?.number, 1, "the first server is preferred again");
});

Deno.test("ServerRotation shuffled visits every server once per round, in a new order", () => {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const rotation = new ServerRotation(servers, { order: "shuffled", random });
  const orders = new Set<string>();
  for (let i = 0; i < 20; i++) {
    rotation.startRound();
    const visited = round(rotation);
    assert.deepEqual(visited.toSorted(), round(new ServerRotation(servers)).toSorted());
    orders.add(visited.join(","));
  }
  assert.ok(orders.size > 1, "the order changes between rounds");
});

Deno.test("ServerRotation needs at least one server", () => {
  assert.throws(() => new ServerRotation([]), RangeError);
});

Deno.test("ServerRotation after a lost session tries that server last", () => {
  const rotation = new ServerRotation(servers);
  rotation.next();
  rotation.connected(1, 0);
  rotation.lost(1);
  assert.deepEqual(round(rotation).map((s) => s.split(" ")[0]), ["2", "3", "1"]);
  rotation.connected(2, 0);
  rotation.lost(2);
  assert.deepEqual(round(rotation).map((s) => s.split(" ")[0]), ["1", "3", "2"]);
});

Deno.test("ServerRotation failback: after the hold-down, the servers before the current one, best first", () => {
  const rotation = new ServerRotation(servers, { failbackMs: 30_000 });
  rotation.connected(3, 1000);
  assert.deepEqual(rotation.failbackTargets(30_999), [], "the hold-down is not over");
  assert.equal(rotation.failbackDueIn(1000), 30_000);
  assert.deepEqual(rotation.failbackTargets(31_000).map((t) => t.number), [1, 2]);
  rotation.failbackFailed(31_500);
  assert.equal(rotation.failbackDueIn(31_500), 30_000, "a failed try waits another hold-down");
  assert.deepEqual(rotation.failbackTargets(40_000), []);
  rotation.moveTo(1);
  assert.deepEqual(
    round(rotation).map((s) => s.split(" ")[0]),
    ["2", "3"],
    "should the move fail, the rest of the list",
  );
});

Deno.test("ServerRotation failback stays quiet on the first server, when off, and when shuffled", () => {
  const on = new ServerRotation(servers, { failbackMs: 1000 });
  on.connected(1, 0);
  assert.deepEqual(on.failbackTargets(1e9), []);
  assert.equal(on.failbackDueIn(0), undefined);
  const off = new ServerRotation(servers);
  off.connected(2, 0);
  assert.deepEqual(off.failbackTargets(1e9), []);
  const shuffled = new ServerRotation(servers, { order: "shuffled", failbackMs: 1000 });
  shuffled.connected(2, 0);
  assert.equal(shuffled.failbackDueIn(0), undefined);
  assert.throws(() => new ServerRotation(servers, { failbackMs: -1 }), RangeError);
  assert.throws(() => on.connected(4, 0), RangeError);
});

function fakeStream(name: string): SecureStream & { destroyed: boolean } {
  const stream = {
    name,
    destroyed: false,
    destroy() {
      stream.destroyed = true;
    },
  };
  return stream as unknown as SecureStream & { destroyed: boolean };
}

Deno.test("awaitFailback() dials the better servers when due and hands back the first that answers", async () => {
  let now = 0;
  const rotation = new ServerRotation(servers, { failbackMs: 20 });
  rotation.connected(3, now);
  // The hold-down passes on a clock of the test's (the real wait is computed from it: 0 ms).
  now = 20;
  const dialled: string[] = [];
  const failed: number[] = [];
  let primaryUp = false;
  const move = await awaitFailback({
    rotation,
    ended: new Promise(() => {}),
    now: () => now,
    dial: (endpoint) => {
      dialled.push(endpoint.host);
      now += 15; // each try takes a while
      if (endpoint.host === "198.18.0.1" && !primaryUp) {
        primaryUp = true; // back for the next round
        return Promise.reject(new Error("connection refused"));
      }
      return Promise.resolve(fakeStream(endpoint.host));
    },
    onFailed: (target) => failed.push(target.number),
  });
  assert.equal(move?.target.number, 2, "the second server answered first in the first round");
  assert.deepEqual(dialled, ["198.18.0.1", "198.18.1.1"]);
  assert.deepEqual(failed, [1]);
});

Deno.test("awaitFailback() ends with the session, leaving no timer, and drops a late connection", async () => {
  const rotation = new ServerRotation(servers, { failbackMs: 60_000 });
  rotation.connected(2, Date.now());
  let end = () => {};
  const ended = new Promise<void>((resolve) => (end = resolve));
  const waiting = awaitFailback({ rotation, ended, dial: () => Promise.reject(new Error("x")) });
  end();
  assert.equal(await waiting, undefined);

  const late = new ServerRotation(servers, { failbackMs: 1 });
  late.connected(2, 0);
  let finish = () => {};
  const over = new Promise<void>((resolve) => (finish = resolve));
  const stream = fakeStream("late");
  const result = await awaitFailback({
    rotation: late,
    ended: over,
    now: () => 10,
    dial: async () => {
      finish();
      await over;
      return stream;
    },
  });
  assert.equal(result, undefined);
  assert.ok(stream.destroyed, "a connection made after the session ended is closed");
});

Deno.test("failBackWhenDue() closes the session it leaves, says so, and the next round skips the new server", async () => {
  const rotation = new ServerRotation(servers, { failbackMs: 1 });
  rotation.connected(2, 0);
  const closed: string[] = [];
  const lines: string[] = [];
  const move = await failBackWhenDue(
    { ended: new Promise(() => {}), close: (code, message) => closed.push(`${code} ${message}`) },
    {
      rotation,
      dial: (endpoint) => Promise.resolve(fakeStream(endpoint.host)),
      log: {
        info: (message, properties) => lines.push(`${message} ${JSON.stringify(properties)}`),
      },
    },
  );
  assert.equal(move?.target.number, 1);
  assert.deepEqual(closed, ["1 client moves to its preferred server 198.18.0.1:443"]);
  assert.match(lines[0]!, /^returning to server \{number\} \{server\}/);
  assert.deepEqual(round(rotation).map((s) => s.split(" ")[0]), ["2", "3"]);
});
