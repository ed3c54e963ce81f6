/**
 * keepSparseLane() re-opens a dead lane on a fresh token and stops after LANE_ATTEMPTS failed
 * attempts in a row; with a server that cannot renew tokens it makes one attempt only.
 */
import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { Feature, type PeerHello } from "../../src/frame/control.ts";
import { keepSparseLane, LANE_ATTEMPTS } from "../../src/client/sparse_lane.ts";
import type { Session } from "../../src/session/session.ts";
import { NO_DATA_FRAMES } from "../../src/frame/receiver.ts";

const ours = {
  protocol: 1,
  software: "test",
  address: "10.0.0.2/24",
  mtu: 1500,
  features: [Feature.Lanes, Feature.LaneRenew],
};

/** The parts of the main Session that keepSparseLane reads, and what it asked for. */
function fakeMain() {
  let end!: (value: unknown) => void;
  const fake = {
    state: "open",
    connection: { peerFingerprint: "fp-server" },
    ended: new Promise((resolve) => (end = resolve)),
    tokensAsked: 0,
    requestLaneToken() {
      fake.tokensAsked++;
      return Promise.resolve(String(fake.tokensAsked).padStart(32, "0"));
    },
    end() {
      fake.state = "closed";
      end(undefined);
    },
  };
  return fake;
}

function server(features: string[]): PeerHello {
  return { features, lane: "f".repeat(32) } as unknown as PeerHello;
}

Deno.test("keepSparseLane() asks for a fresh token for each new attempt and stops after LANE_ATTEMPTS in a row", async () => {
  const main = fakeMain();
  let dials = 0;
  const delays: number[] = [];
  await keepSparseLane({
    main: main as unknown as Session,
    server: server([Feature.Lanes, Feature.LaneRenew]),
    dial: () => {
      dials++;
      return Promise.reject(new Error("cannot connect: connection refused"));
    },
    basics: { hello: ours },
    writer: NO_DATA_FRAMES,
    log: getLogger("test"),
    backoff: (attempt) => {
      delays.push(attempt);
      return 1;
    },
  });
  assert.equal(dials, LANE_ATTEMPTS);
  assert.equal(main.tokensAsked, LANE_ATTEMPTS - 1, "the Hello's token serves the first attempt");
  assert.deepEqual(delays, [0, 1, 2, 3], "the backoff grows with each failure");
});

Deno.test("keepSparseLane() makes one attempt when the server cannot renew tokens, and none after the session ends", async () => {
  const main = fakeMain();
  let dials = 0;
  const options = {
    main: main as unknown as Session,
    server: server([Feature.Lanes]),
    dial: () => {
      dials++;
      return Promise.reject(new Error("refused"));
    },
    basics: { hello: ours },
    writer: NO_DATA_FRAMES,
    log: getLogger("test"),
    backoff: () => 1,
  };
  await keepSparseLane(options);
  assert.equal(dials, 1);
  assert.equal(main.tokensAsked, 0);

  const ended = fakeMain();
  dials = 0;
  const kept = keepSparseLane({
    ...options,
    main: ended as unknown as Session,
    server: server([Feature.Lanes, Feature.LaneRenew]),
    backoff: () => 60_000,
  });
  await Promise.resolve();
  ended.end();
  await kept; // returns at once: no 60 s wait left behind
  assert.equal(dials, 1);
});
