/**
 * AcceptWatchdog with a fake listener: a probe that is not accepted marks the listener stopped
 * and has it replaced until a probe gets through again; accepted connections keep it quiet.
 */
import assert from "node:assert/strict";
import { AcceptWatchdog } from "../../src/transport/accept_watchdog.ts";
import { pollUntil } from "../lib/poll.ts";

/** A fake listener: `alive` decides whether a probe's connection reaches accepted(). */
function fakeListener() {
  const state = { alive: true, probes: 0, restarts: 0, events: [] as string[] };
  let port = 40000;
  const watchdog: { current?: AcceptWatchdog } = {};
  const options = {
    intervalMs: 30,
    probeTimeoutMs: 30,
    retryMs: 20,
    probe: () => {
      state.probes++;
      const localPort = port++;
      if (state.alive) setTimeout(() => watchdog.current!.accepted(localPort), 1);
      return Promise.resolve({ localPort, close: () => {} });
    },
    restart: () => {
      state.restarts++;
      return Promise.resolve();
    },
    onStopped: (reason: string) => state.events.push(`stopped: ${reason}`),
    onResumed: () => state.events.push("resumed"),
  };
  return { state, watchdog, options };
}

Deno.test("AcceptWatchdog: a listener that stops accepting is reported, replaced until probes pass, then resumed", async () => {
  const { state, watchdog, options } = fakeListener();
  using dog = new AcceptWatchdog(options);
  watchdog.current = dog;
  await pollUntil(() => state.probes >= 2, "it probes a quiet listener");
  assert.equal(dog.accepting, true);
  assert.deepEqual(state.events, []);
  state.alive = false;
  await pollUntil(() => !dog.accepting, "a probe that is not accepted marks it stopped");
  assert.match(state.events[0]!, /^stopped: a test connection was not accepted within 30 ms$/);
  await pollUntil(() => state.restarts >= 2, "it is replaced, again and again while probes fail");
  state.alive = true;
  await pollUntil(() => dog.accepting, "a probe gets through again");
  assert.deepEqual(state.events.slice(1), ["resumed"]);
});

Deno.test("AcceptWatchdog: connections accepted keep it from probing; a real client is not taken for the probe", async () => {
  const { state, watchdog, options } = fakeListener();
  using dog = new AcceptWatchdog({ ...options, intervalMs: 60 });
  watchdog.current = dog;
  const busy = setInterval(() => assert.equal(dog.accepted(12345), false), 10);
  await new Promise((resolve) => setTimeout(resolve, 200));
  clearInterval(busy);
  assert.equal(state.probes, 0);
});

Deno.test("AcceptWatchdog: a probe whose connection never opens (a dead listener's full accept queue drops its SYN) counts as failed, and the listener is replaced", async () => {
  const { state, watchdog, options } = fakeListener();
  const aborted: string[] = [];
  using dog = new AcceptWatchdog({
    ...options,
    // The connect hangs, as it does for minutes while SYNs are dropped; only the signal ends it.
    probe: (signal: AbortSignal) => {
      state.probes++;
      return new Promise((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted.push(String(signal.reason));
          reject(signal.reason);
        });
      });
    },
  });
  watchdog.current = dog;
  await pollUntil(() => !dog.accepting, "a probe that never connects marks it stopped");
  assert.match(state.events[0]!, /^stopped: a test connection could not be opened within 30 ms$/);
  await pollUntil(() => state.restarts >= 1, "it is replaced");
  assert.ok(aborted.length >= 3, "every hanging connect was given up");
});
