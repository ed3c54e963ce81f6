import assert from "node:assert/strict";
import { interleave, race, resolveServer } from "../../src/transport/happy_eyeballs.ts";

Deno.test("interleave() alternates families, starting with the first answer's", () => {
  assert.deepEqual(
    interleave([
      { address: "2001:db8::1", family: 6 },
      { address: "2001:db8::2", family: 6 },
      { address: "192.0.2.1", family: 4 },
      { address: "192.0.2.2", family: 4 },
      { address: "192.0.2.3", family: 4 },
    ]),
    ["2001:db8::1", "192.0.2.1", "2001:db8::2", "192.0.2.2", "192.0.2.3"],
  );
});

Deno.test("race() starts the next address after the delay, takes the first to succeed, abandons the rest", async () => {
  const started: string[] = [];
  const abandoned: string[] = [];
  const never = new Promise<string>(() => {});
  const { value, address } = await race<string>(
    ["192.0.2.99", "192.0.2.1", "192.0.2.2"],
    (address) => {
      started.push(address);
      if (address === "192.0.2.99") return never; // a dead address: hangs
      return new Promise((resolve) => setTimeout(() => resolve(`via ${address}`), 5));
    },
    (late) => abandoned.push(late),
    20,
  );
  assert.equal(address, "192.0.2.1");
  assert.equal(value, "via 192.0.2.1");
  assert.deepEqual(started, ["192.0.2.99", "192.0.2.1"], "the third was never needed");
  assert.deepEqual(abandoned, []);
});

Deno.test("race() tries the next at once after a failure and reports the first error when all fail", async () => {
  const started: string[] = [];
  await assert.rejects(
    race(
      ["a", "b"],
      (address) => {
        started.push(address);
        return Promise.reject(new Error(`refused by ${address}`));
      },
      () => {},
      10_000,
    ),
    /refused by a/,
  );
  assert.deepEqual(started, ["a", "b"]);
});

Deno.test("resolveServer() keeps a literal and says plainly when a name has no address", async () => {
  assert.deepEqual(await resolveServer("192.0.2.1"), ["192.0.2.1"]);
  assert.deepEqual(await resolveServer("2001:db8::1"), ["2001:db8::1"]);
  assert.deepEqual(await resolveServer("localhost").then((a) => a.length > 0), true);
  await assert.rejects(resolveServer("no-such-host.invalid"), /no-such-host\.invalid/);
});
