import assert from "node:assert/strict";
import { type HistorySample, TrafficHistory } from "../../src/monitor/history.ts";

function sample(
  t: number,
  bytesIn: number,
  bytesOut: number,
  sessions: HistorySample["sessions"] = [],
) {
  return { takenAt: t, totals: { bytesIn, bytesOut }, sessions };
}

Deno.test("TrafficHistory turns byte totals into bits per second, one point per interval", () => {
  const history = new TrafficHistory({ capacity: 10 });
  history.record(sample(1000, 0, 0));
  assert.deepEqual(history.points(), []);
  assert.equal(history.latest(), undefined);
  history.record(sample(2000, 1000, 500));
  history.record(sample(2500, 2000, 500));
  assert.deepEqual(history.points(), [
    { t: 2000, in: 8000, out: 4000 },
    { t: 2500, in: 16000, out: 0 },
  ]);
  assert.deepEqual(history.latest(), { in: 16000, out: 0 });
});

Deno.test("TrafficHistory keeps the newest `capacity` points in a ring of fixed size", () => {
  const history = new TrafficHistory({ capacity: 600 });
  assert.equal(history.ringBytes, 600 * 3 * 8);
  for (let i = 0; i <= 1500; i++) history.record(sample(i * 1000, i * 125, 0));
  const points = history.points();
  assert.equal(points.length, 600);
  assert.equal(points[0]!.t, 901_000);
  assert.equal(points.at(-1)!.t, 1_500_000);
  assert.ok(points.every((point, i) => i === 0 || point.t - points[i - 1]!.t === 1000));
  assert.ok(points.every((point) => point.in === 1000));
  assert.equal(history.ringBytes, 600 * 3 * 8, "the ring never grows");
});

Deno.test("TrafficHistory gives each live session its rate and forgets ended sessions", () => {
  const history = new TrafficHistory();
  const a = { peerName: "a", remote: "198.18.0.2:5000", since: 1 };
  const b = { peerName: "b", remote: "198.18.0.3:5000", since: 1 };
  const with_ = (s: typeof a, bytesIn: number, bytesOut: number) => ({
    ...s,
    traffic: { bytesIn, bytesOut },
  });
  history.record(sample(1000, 0, 0, [with_(a, 0, 0), with_(b, 0, 0)]));
  assert.equal(history.sessionRate(with_(a, 0, 0)), undefined, "one sample: no rate yet");
  history.record(sample(2000, 0, 0, [with_(a, 1250, 125), with_(b, 0, 0)]));
  assert.deepEqual(history.sessionRate(with_(a, 0, 0)), { in: 10_000, out: 1000 });
  assert.deepEqual(history.sessionRate(with_(b, 0, 0)), { in: 0, out: 0 });
  history.record(sample(3000, 0, 0, [with_(a, 1250, 125)]));
  assert.equal(history.sessionRate(with_(b, 0, 0)), undefined, "b ended");
  // A reconnect of a is a new session: its rate starts over.
  history.record(sample(4000, 0, 0, [with_({ ...a, since: 3500 }, 0, 0)]));
  assert.equal(history.sessionRate(with_({ ...a, since: 3500 }, 0, 0)), undefined);
  assert.equal(history.sessionRate(with_(a, 0, 0)), undefined);
});

Deno.test("TrafficHistory refuses a capacity below two points", () => {
  assert.throws(() => new TrafficHistory({ capacity: 1 }), RangeError);
});
