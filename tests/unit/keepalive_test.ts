import assert from "node:assert/strict";
import {
  keepaliveStep,
  keepaliveTickMs,
  SERVER_RTT_REFRESH_MS,
} from "../../src/session/keepalive.ts";

const options = { intervalMs: 10_000, timeoutMs: 35_000 };

Deno.test("keepaliveStep pings once an interval has passed, and gives up a silent or stuck peer", () => {
  const seen = { stalledMs: 0, lastReceived: 0, lastPing: 0 };
  assert.equal(keepaliveStep(9_999, seen, options), undefined);
  assert.equal(keepaliveStep(10_000, seen, options), "ping");
  assert.deepEqual(keepaliveStep(35_001, seen, options), { close: "nothing received for 35 s" });
  assert.deepEqual(keepaliveStep(1, { ...seen, stalledMs: 36_000 }, options), {
    close: "the peer has read nothing for 36 s",
  });
  assert.equal(keepaliveTickMs(options), 2_500);
  assert.equal(keepaliveTickMs({ intervalMs: 20, timeoutMs: 30 }), 10);
});

Deno.test("the client drives keepalive: it pings every interval even while it hears its server", () => {
  const seen = { stalledMs: 0, lastReceived: 9_990, lastPing: 0, rttKnown: true };
  assert.equal(keepaliveStep(10_000, seen, options, "client"), "ping");
});

Deno.test("a server whose client pings stays quiet but for its first round trip and a refresh a minute", () => {
  // Its first interval: no round trip yet, one Ping.
  assert.equal(
    keepaliveStep(10_000, { stalledMs: 0, lastReceived: 9_000, lastPing: 0 }, options, "server"),
    "ping",
  );
  // The client's Pings arrive every interval: the server sends none of its own...
  for (let now = 20_000; now < SERVER_RTT_REFRESH_MS; now += 2_500) {
    const lastReceived = Math.floor(now / 10_000) * 10_000 - 5;
    const seen = { stalledMs: 0, lastReceived, lastPing: 10_000, rttKnown: true };
    assert.equal(keepaliveStep(now, seen, options, "server"), undefined, `at ${now}`);
  }
  // ...until its round trip is a minute old.
  const seen = { stalledMs: 0, lastReceived: 69_000, lastPing: 10_000, rttKnown: true };
  assert.equal(keepaliveStep(10_000 + SERVER_RTT_REFRESH_MS, seen, options, "server"), "ping");
});

Deno.test("a server pings a client gone quiet for an interval and a half, and still gives it up", () => {
  const seen = { stalledMs: 0, lastReceived: 0, lastPing: 0, rttKnown: true };
  assert.equal(keepaliveStep(14_999, seen, options, "server"), undefined);
  assert.equal(keepaliveStep(15_000, seen, options, "server"), "ping");
  // Not more often than every interval.
  assert.equal(keepaliveStep(20_000, { ...seen, lastPing: 15_000 }, options, "server"), undefined);
  assert.equal(keepaliveStep(25_000, { ...seen, lastPing: 15_000 }, options, "server"), "ping");
  assert.deepEqual(keepaliveStep(35_001, seen, options, "server"), {
    close: "nothing received for 35 s",
  });
});
