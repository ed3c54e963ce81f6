import assert from "node:assert/strict";
import { getLogger } from "@logtape/logtape";
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { type FrameSink, type SinkRouter, TunReader } from "../../src/routing/tun_reader.ts";
import { FakeDevice } from "../lib/fake_device.ts";
import { pollUntil } from "../lib/poll.ts";

const logger = getLogger(["sssonector-test"]);

/** A session's queue: takes frames until `limit` bytes wait; `drain()` completes the writes. */
class FakeSink implements FrameSink {
  acceptsGso = true;
  received: Uint8Array[] = [];
  packets = 0;
  dropped = 0;
  queued = 0;
  #releases: Array<() => void> = [];
  #drainedWaiters: Array<() => void> = [];

  constructor(readonly limit = Number.MAX_SAFE_INTEGER, readonly autoDrain = true) {}

  send(frames: Uint8Array, packets: number, charge: number, release?: () => void): boolean {
    if (this.full(charge)) {
      this.dropped += packets;
      return false;
    }
    this.received.push(frames.slice());
    this.packets += packets;
    this.queued += charge;
    const done = () => {
      this.queued -= charge;
      release?.();
    };
    if (this.autoDrain) queueMicrotask(done);
    else this.#releases.push(done);
    return true;
  }

  full(charge: number): boolean {
    return this.queued + charge > this.limit;
  }

  drained(): Promise<void> {
    if (this.queued <= this.limit / 2) return Promise.resolve();
    return new Promise((resolve) => this.#drainedWaiters.push(resolve));
  }

  /** Completes every pending write, as TLS would once the peer reads. */
  drain(): void {
    for (const done of this.#releases.splice(0)) done();
    for (const wake of this.#drainedWaiters.splice(0)) wake();
  }
}

function packet(size: number, tag: number): Uint8Array {
  return encodeFrame(FrameType.Packet, new Uint8Array(size).fill(tag));
}

/** IPv4 destinations are the map's numbers; an IPv6 destination's last byte picks the sink. */
function router(sinks: Map<number, FrameSink>): SinkRouter {
  return {
    route: (destination) => sinks.get(destination),
    route6: (packet, offset) => sinks.get(1000 + packet[offset + 15]!),
    openSinks: () => sinks.size,
  };
}

/** A minimal IPv6 packet (header only) to `...::last`, framed; the index says 0 for it. */
function ipv6Packet(last: number, tag: number): Uint8Array {
  const ip = new Uint8Array(60).fill(tag);
  ip[0] = 0x60;
  ip.fill(0, 24, 40);
  ip[24] = 0xfd;
  ip[39] = last;
  return encodeFrame(FrameType.Packet, ip);
}

async function withReader(
  tun: FakeDevice,
  sinks: Map<number, FrameSink>,
  body: (reader: TunReader) => Promise<void>,
  options = {},
): Promise<void> {
  const reader = new TunReader(tun, router(sinks), logger, {
    converter: tun.converter,
    copyBelow: 0,
    ...options,
  });
  reader.start();
  try {
    await body(reader);
  } finally {
    await reader.stop();
  }
}

Deno.test("TunReader sends each packet to the session that owns its destination", async () => {
  const tun = new FakeDevice();
  const a = new FakeSink();
  const b = new FakeSink();
  await withReader(tun, new Map([[1, a], [2, b]]), async () => {
    tun.queue({ destination: 1, frame: packet(100, 0xa1) });
    tun.queue({ destination: 2, frame: packet(50, 0xb1) }, {
      destination: 1,
      frame: packet(60, 0xa2),
    });
    await pollUntil(() => a.packets === 2 && b.packets === 1, "three packets delivered");
    assert.deepEqual(a.received.map((f) => f[f.length - 1]), [0xa1, 0xa2]);
    assert.deepEqual(b.received.map((f) => f[f.length - 1]), [0xb1]);
  });
});

Deno.test("TunReader routes IPv6 packets by the destination in the packet, mixed with IPv4", async () => {
  const tun = new FakeDevice();
  const v4 = new FakeSink();
  const v6 = new FakeSink();
  await withReader(tun, new Map([[1, v4], [1007, v6]]), async (reader) => {
    tun.queue(
      { destination: 0, frame: ipv6Packet(7, 0x61) },
      { destination: 1, frame: packet(80, 0x41) },
      { destination: 0, frame: ipv6Packet(9, 0x62) }, // no sink for ::9
      { destination: 0, frame: packet(30, 0x60) }, // neither IPv4 nor a whole IPv6 header
    );
    await pollUntil(() => v4.packets === 1 && v6.packets === 1, "one packet each");
    assert.equal(v6.received[0]![v6.received[0]!.length - 1], 0x61);
    await pollUntil(() => reader.counters.unroutable === 2, "two unroutable");
  });
});

Deno.test("TunReader counts packets that no session owns as unroutable", async () => {
  const tun = new FakeDevice();
  const a = new FakeSink();
  await withReader(tun, new Map([[1, a]]), async (reader) => {
    tun.queue({ destination: 9, frame: packet(100, 1) });
    tun.queue({ destination: 1, frame: packet(100, 2) }, { destination: 9, frame: packet(10, 3) });
    await pollUntil(() => reader.counters.unroutable === 2, "two unroutable packets");
    assert.equal(a.packets, 1);
    assert.equal(reader.counters.packets, 3);
    assert.equal(reader.counters.batches, 2);
  });
});

Deno.test("TunReader keeps serving other sessions while one session's queue is full, counting its drops", async () => {
  const tun = new FakeDevice();
  const stalled = new FakeSink(300_000, false); // never drains: a peer that stopped reading
  const healthy = new FakeSink();
  await withReader(tun, new Map([[1, stalled], [2, healthy]]), async () => {
    for (let i = 0; i < 20; i++) {
      tun.queue({ destination: 1, frame: packet(60_000, i) });
      tun.queue({ destination: 2, frame: packet(100, i) });
    }
    await pollUntil(() => healthy.packets === 20, "every packet for the healthy peer arrived");
    assert.ok(stalled.dropped > 0, "the stalled peer's packets beyond its queue were dropped");
    assert.ok(stalled.queued <= stalled.limit, "the stalled queue stays under its limit");
    assert.equal(stalled.packets + stalled.dropped, 20);
  });
});

Deno.test("TunReader waits for the only open session instead of dropping its packets (backpressure)", async () => {
  const tun = new FakeDevice();
  const only = new FakeSink(300_000, false);
  await withReader(tun, new Map([[1, only]]), async () => {
    for (let i = 0; i < 6; i++) tun.queue({ destination: 1, frame: packet(60_000, i) });
    // Batches are lent whole (262144-byte buffers): one fits under the limit, the next waits.
    await pollUntil(
      () => only.packets === 1 && tun.pending === 4,
      "the reader holds the 2nd batch",
    );
    assert.equal(only.dropped, 0);
    only.drain();
    await pollUntil(() => only.packets === 2, "the held batch went out after the drain");
    for (let i = 0; i < 4; i++) {
      only.drain();
      await pollUntil(() => only.packets === 3 + i, `batch ${3 + i} went out`);
    }
    assert.equal(only.dropped, 0, "nothing was dropped: the reader waited");
  });
});

Deno.test("TunReader converts offloaded frames for a peer without offloads, and lends the rest whole", async () => {
  const tun = new FakeDevice();
  tun.offload = true;
  const plain = new FakeSink();
  plain.acceptsGso = false;
  const offloaded = new FakeSink();
  await withReader(tun, new Map([[1, plain], [2, offloaded]]), async (reader) => {
    tun.queue({ destination: 1, frame: packet(1000, 1) });
    tun.queue({ destination: 2, frame: packet(1000, 2) });
    await pollUntil(() => plain.packets === 1 && offloaded.packets === 1, "both delivered");
    assert.equal(tun.converter.calls, 1, "only the peer without offloads needed a conversion");
    assert.equal(reader.counters.converted, 1);
  });
});

Deno.test("TunReader copies small batches out, so a trickle of small packets never holds whole buffers", async () => {
  const tun = new FakeDevice();
  const sink = new FakeSink(1_000_000, false);
  await withReader(tun, new Map([[1, sink], [2, new FakeSink()]]), async () => {
    for (let i = 0; i < 50; i++) tun.queue({ destination: 1, frame: packet(64, i) });
    await pollUntil(() => sink.packets === 50, "every small packet was queued");
    assert.ok(sink.queued < 50 * 100, `charged ${sink.queued} bytes: the copies, not 50 buffers`);
  }, { copyBelow: 16384 });
});
