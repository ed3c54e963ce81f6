import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { CloseCode, Feature, type Hello } from "../../src/frame/control.ts";
import { ServerLanes } from "../../src/server/sparse_lanes.ts";
import { type Session, SessionRefusal } from "../../src/session/session.ts";
import { thrown } from "../lib/thrown.ts";

/** The parts of a Session that ServerLanes reads. */
function fakeSession(name = "alpha", fingerprint = `fp-${name}`) {
  const fake = {
    connection: { peerName: name, peerFingerprint: fingerprint, remote: `${name}:1` },
    state: "open",
    lane: undefined as unknown,
    ended: new Promise(() => {}),
    closed: undefined as number | undefined,
    attachLane(lane: unknown) {
      if (fake.lane) return false;
      fake.lane = lane;
      return true;
    },
    close(code: number) {
      fake.closed = code;
    },
  };
  return fake;
}
const asSession = (fake: ReturnType<typeof fakeSession>) => fake as unknown as Session;

const lanesHello = { features: [Feature.Lanes] } as unknown as Hello;

function refusal(fn: () => unknown): string {
  const error = thrown(SessionRefusal, fn);
  assert.equal(error.code, CloseCode.LaneRefused);
  return error.message;
}

Deno.test("ServerLanes offers a token only when both Hellos list lanes", () => {
  const lanes = new ServerLanes(getLogger("test"), { maxConnections: 10, sessions: () => 1 });
  const owner = asSession(fakeSession());
  const without = { features: [] } as unknown as Hello;
  assert.deepEqual(lanes.offer(owner, without, lanesHello), {});
  assert.deepEqual(lanes.offer(owner, lanesHello, without), {});
  assert.match(lanes.offer(owner, lanesHello, lanesHello).lane!, /^[0-9a-f]{32}$/);
  assert.equal(lanes.pending, 1);
  lanes.forget(owner);
  assert.equal(lanes.pending, 0);
});

Deno.test("ServerLanes joins the token's session once, and refuses a session that has a lane", () => {
  const lanes = new ServerLanes(getLogger("test"), { maxConnections: 10, sessions: () => 1 });
  const owner = fakeSession();
  const { lane: token } = lanes.offer(asSession(owner), lanesHello, lanesHello);
  const first = asSession(fakeSession());
  assert.equal(lanes.join(token!, first), asSession(owner));
  lanes.attach(asSession(owner), first);
  assert.equal(owner.lane, first);
  assert.equal(lanes.open, 1);
  assert.match(refusal(() => lanes.join(token!, asSession(fakeSession()))), /already used/);
});

Deno.test("ServerLanes keeps the descriptors fitted to the file limit for sessions", () => {
  const lanes = new ServerLanes(getLogger("test"), { maxConnections: 2, sessions: () => 2 });
  const owner = fakeSession();
  const { lane: token } = lanes.offer(asSession(owner), lanesHello, lanesHello);
  assert.match(refusal(() => lanes.join(token!, asSession(fakeSession()))), /descriptors/);
});

Deno.test("ServerLanes refuses a lane for a session that is no longer open", () => {
  const lanes = new ServerLanes(getLogger("test"), { maxConnections: 10, sessions: () => 1 });
  const owner = fakeSession();
  const { lane: token } = lanes.offer(asSession(owner), lanesHello, lanesHello);
  owner.state = "closed";
  assert.match(refusal(() => lanes.join(token!, asSession(fakeSession()))), /not open/);
});

Deno.test("ServerLanes.renew() closes the lane the server still holds and issues a fresh token; a lane may not ask", () => {
  const lanes = new ServerLanes(getLogger("test"), { maxConnections: 10, sessions: () => 1 });
  const owner = fakeSession();
  const { lane: first } = lanes.offer(asSession(owner), lanesHello, lanesHello);
  const lane = fakeSession();
  assert.equal(lanes.join(first!, asSession(lane)), asSession(owner));
  lanes.attach(asSession(owner), asSession(lane));
  const fresh = lanes.renew(asSession(owner));
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.notEqual(fresh, first);
  assert.equal(lane.closed, CloseCode.Replaced, "the old lane is closed");
  assert.equal(lanes.pending, 1, "one token per session");
  lanes.renew(asSession(owner));
  assert.equal(lanes.pending, 1, "a second request replaces the first token");
  assert.throws(() => lanes.renew(asSession(lane)), /lane request on a sparse lane/);
});
