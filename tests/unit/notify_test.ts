import assert from "node:assert/strict";
import { Notifier } from "../../src/runtime/notify.ts";

function recorder(result = 0) {
  const sent: string[] = [];
  return { sent, send: (_socket: string, message: string) => (sent.push(message), result) };
}

Deno.test("Notifier sends nothing without NOTIFY_SOCKET", () => {
  const { sent, send } = recorder();
  using notifier = new Notifier({ socket: undefined, send });
  notifier.ready("listening");
  notifier.stopping();
  assert.equal(notifier.enabled, false);
  assert.deepEqual(sent, []);
});

Deno.test("Notifier says READY, STATUS on one line, RELOADING with the clock, STOPPING", () => {
  const { sent, send } = recorder();
  using notifier = new Notifier({ socket: "/run/x", send, monotonicUsec: () => 42n });
  notifier.ready("listening on 0.0.0.0:443");
  notifier.status("not connected:\nrefused");
  notifier.reloading();
  notifier.stopping();
  assert.deepEqual(sent, [
    "READY=1\nSTATUS=listening on 0.0.0.0:443",
    "STATUS=not connected: refused",
    "RELOADING=1\nMONOTONIC_USEC=42\nSTATUS=reloading",
    "STOPPING=1\nSTATUS=shutting down",
  ]);
});

Deno.test("Notifier pings the watchdog at half of WATCHDOG_USEC from READY on, until stopping", async () => {
  const { sent, send } = recorder();
  using notifier = new Notifier({ socket: "/run/x", send, watchdogUsec: "100000" });
  assert.equal(notifier.watchdogIntervalMs, 50);
  notifier.ready("up");
  await new Promise((resolve) => setTimeout(resolve, 180));
  notifier.stopping();
  const pings = sent.filter((m) => m === "WATCHDOG=1").length;
  assert.ok(pings >= 3 && pings <= 5, `${pings} pings in 180 ms`);
  const count = sent.length;
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(sent.length, count, "no ping after STOPPING=1");
});

Deno.test("Notifier leaves the watchdog alone when WATCHDOG_PID names another process", () => {
  const { send } = recorder();
  using notifier = new Notifier({
    socket: "/run/x",
    send,
    watchdogUsec: "100000",
    watchdogPid: String(Deno.pid + 1),
  });
  assert.equal(notifier.watchdogIntervalMs, undefined);
});

Deno.test("Notifier reports a failing socket once, and again only after it worked", () => {
  const errors: string[] = [];
  let result = -111;
  using notifier = new Notifier({
    socket: "/run/x",
    send: () => result,
    onError: (message) => errors.push(message),
  });
  notifier.status("a");
  notifier.status("b");
  assert.deepEqual(errors, [
    "cannot notify the service manager at /run/x: nothing listens on it (ECONNREFUSED); the " +
    "tunnel goes on",
  ]);
  result = 0;
  notifier.status("c");
  result = -2;
  notifier.status("d");
  assert.equal(errors.length, 2);
});
