import assert from "node:assert/strict";
import { parsePing } from "../../tools/lab/ping.ts";

Deno.test("parsePing() reads a flood ping's counts and average (it prints no per-reply times)", () => {
  const output = [
    "PING 10.99.0.1 (10.99.0.1) 56(84) bytes of data.",
    ".\b \b.\b \b",
    "--- 10.99.0.1 ping statistics ---",
    "200 packets transmitted, 199 received, 0.5% packet loss, time 61ms",
    "rtt min/avg/max/mdev = 0.188/0.260/1.018/0.071 ms, ipg/ewma 0.289/0.255 ms",
  ].join("\n");
  const stats = parsePing(output);
  assert.equal(stats.sent, 200);
  assert.equal(stats.received, 199);
  assert.equal(stats.avgMs, 0.26);
  assert.deepEqual(stats.samplesMs, []);
});

Deno.test("parsePing() gives NaN averages when no reply came", () => {
  const stats = parsePing(
    "--- 10.99.0.1 ping statistics ---\n200 packets transmitted, 0 received, 100% packet loss\n",
  );
  assert.equal(stats.received, 0);
  assert.ok(Number.isNaN(stats.avgMs));
});
