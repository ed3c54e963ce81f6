import assert from "node:assert/strict";
import { ServerRotation } from "../../src/client/server_rotation.ts";
import { formatEndpoint } from "../../src/config/net.ts";

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
  const rotation = new ServerRotation(servers, "shuffled", random);
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
