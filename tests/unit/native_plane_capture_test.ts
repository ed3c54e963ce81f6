import assert from "node:assert/strict";
import { reassemble, summarizeCapture } from "../../tools/native_plane/tls_capture.ts";

function record(type: number, version: number, length: number): number[] {
  return [
    type,
    version >> 8,
    version & 0xff,
    length >> 8,
    length & 0xff,
    ...new Array(length).fill(7),
  ];
}

/** One Ethernet/IPv4/TCP frame from 10.0.0.2:40000 to 10.0.0.1:443 carrying `payload` at `seq`. */
function frame(seq: number, payload: number[]): number[] {
  const total = 20 + 20 + payload.length;
  const ip = [0x45, 0, total >> 8, total & 0xff, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1];
  const tcp = [
    0x9c,
    0x40,
    0x01,
    0xbb,
    (seq >>> 24) & 0xff,
    (seq >>> 16) & 0xff,
    (seq >>> 8) & 0xff,
    seq & 0xff,
    0,
    0,
    0,
    0,
    0x50,
    0x18,
    0,
    0,
    0,
    0,
    0,
    0,
  ];
  return [...new Array(12).fill(0), 0x08, 0x00, ...ip, ...tcp, ...payload];
}

function pcap(frames: number[][]): Uint8Array {
  const out: number[] = [];
  const u32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  out.push(...u32(0xa1b2c3d4), 2, 0, 4, 0, ...u32(0), ...u32(0), ...u32(65535), ...u32(1));
  for (const f of frames) out.push(...u32(0), ...u32(0), ...u32(f.length), ...u32(f.length), ...f);
  return new Uint8Array(out);
}

Deno.test("tls_capture puts a direction's segments back in order and walks its TLS records", () => {
  const stream = [...record(22, 0x0301, 40), ...record(20, 0x0303, 1), ...record(23, 0x0303, 300)];
  const base = 0xfffffff0; // the sequence number wraps inside the stream
  const a = stream.slice(0, 30), b = stream.slice(30, 200), c = stream.slice(200);
  const summary = summarizeCapture(pcap([
    frame(base, a),
    frame(base + 200, c), // out of order
    frame(base + 30, b),
    frame(base, a), // a retransmission
  ]));
  assert.equal(summary.length, 1);
  assert.deepEqual(summary[0], {
    direction: "10.0.0.2:40000 -> 10.0.0.1:443",
    byType: { 20: 1, 22: 1, 23: 1 },
    otherVersions: 0,
    oversized: 0,
    bytes: stream.length,
    trailingBytes: 0,
  });
});

Deno.test("tls_capture counts records that are not TLS 1.3's and stops at a gap", () => {
  const stream = [...record(23, 0x0302, 10), ...record(23, 0x0303, 17000)];
  const [s] = summarizeCapture(pcap([frame(1, stream)]));
  assert.equal(s!.otherVersions, 1);
  assert.equal(s!.oversized, 1);
  const gap = reassemble([
    { seq: 1, payload: new Uint8Array(5) },
    { seq: 10, payload: new Uint8Array(5) },
  ]);
  assert.equal(gap.length, 5);
});
