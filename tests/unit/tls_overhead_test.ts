import assert from "node:assert/strict";
import {
  JUNK_BURST,
  JUNK_RATE,
  type OverheadSample,
  RECORD_OVERHEAD_MAX,
  TlsOverheadGuard,
} from "../../src/session/tls_overhead.ts";

/** Feeds `steps` samples, one per `everyMs`; returns the first verdict and at which step. */
function run(
  steps: number,
  everyMs: number,
  next: (i: number, s: OverheadSample) => OverheadSample,
) {
  const guard = new TlsOverheadGuard();
  let sample: OverheadSample = { wireBytes: 5000, plainBytes: 0, frames: 0 };
  for (let i = 0; i <= steps; i++) {
    if (i > 0) sample = next(i, sample);
    const verdict = guard.observe(sample, i * everyMs);
    if (verdict) return { verdict, step: i };
  }
  return undefined;
}

/** `records` records of `plain` bytes each, one frame per record (TLS 1.3: 22 bytes overhead). */
const records = (s: OverheadSample, count: number, plain: number, frames = count) => ({
  wireBytes: s.wireBytes + count * (plain + 22),
  plainBytes: s.plainBytes + count * plain,
  frames: s.frames + frames,
});

Deno.test("TlsOverheadGuard: an honest peer never trips it, whatever its packets' size or rate", () => {
  // Pings every ms (12-byte frames, a record each), for 10 minutes, sampled every 100 ms.
  assert.equal(run(6000, 100, (_, s) => records(s, 100, 12)), undefined);
  // A small-packet flood: 200,000 40-byte packets a second, one record each (no batching).
  assert.equal(run(600, 100, (_, s) => records(s, 20_000, 44)), undefined);
  // Bulk: 16 KiB records carrying four frames each, and a write cut at 16 KiB (TLS 1.2 overhead).
  assert.equal(
    run(600, 100, (_, s) => ({
      wireBytes: s.wireBytes + 1000 * (16384 + RECORD_OVERHEAD_MAX) + 100 + RECORD_OVERHEAD_MAX,
      plainBytes: s.plainBytes + 1000 * 16384 + 100,
      frames: s.frames + 250,
    })),
    undefined,
  );
  // The runtime has read, and delivers only at the next sample, one interval's small records
  // and 512 KiB of full ones (32 records of 8 frames), every other sample.
  assert.equal(
    run(600, 100, (i, s) => {
      const small = 100 * (1400 + 22);
      const full = 32 * (16384 + 22);
      return i % 2 === 1
        ? { wireBytes: s.wireBytes + small + full, plainBytes: s.plainBytes, frames: s.frames }
        : {
          wireBytes: s.wireBytes + small,
          plainBytes: s.plainBytes + 200 * 1400 + 32 * 16384,
          frames: s.frames + 200 + 32 * 8,
        };
    }),
    undefined,
  );
  // A rare KeyUpdate (27 bytes) once a second, for an hour.
  assert.equal(
    run(
      3600,
      1000,
      (_, s) => ({ ...records(s, 10, 100), wireBytes: records(s, 10, 100).wireBytes + 27 }),
    ),
    undefined,
  );
});

Deno.test("TlsOverheadGuard: unused allowance is not saved up for a later flood", () => {
  const guard = new TlsOverheadGuard();
  let s: OverheadSample = { wireBytes: 0, plainBytes: 0, frames: 0 };
  guard.observe(s, 0);
  // An hour of well-batched traffic: a million frames, far less overhead than allowed.
  s = { wireBytes: 1_000_000_000 + 22 * 61_036, plainBytes: 1_000_000_000, frames: 1_000_000 };
  assert.equal(guard.observe(s, 3_600_000), undefined);
  // Then KeyUpdates: 32 of 27 bytes between 12-byte frames, 3,000 rounds in one second.
  s = {
    wireBytes: s.wireBytes + 3000 * (32 * 27 + 34),
    plainBytes: s.plainBytes + 36_000,
    frames: s.frames + 3000,
  };
  assert.match(guard.observe(s, 3_601_000)!.message, /^TLS-level flood: /);
});

Deno.test("TlsOverheadGuard: KeyUpdates interleaved with data, tiny and padded records are closed within seconds (1 MiB of junk)", () => {
  // 77,000 KeyUpdates a second, 32 between two Ping frames (rustls' limit never trips).
  const keyUpdates = run(100, 100, (_, s) => ({
    wireBytes: s.wireBytes + 240 * (32 * 27 + 34),
    plainBytes: s.plainBytes + 240 * 12,
    frames: s.frames + 240,
  }));
  assert.ok(keyUpdates && keyUpdates.step <= 10, JSON.stringify(keyUpdates));
  assert.match(keyUpdates.verdict.message, /KeyUpdates, empty, tiny or padded records/);
  // Empty records: 22 bytes each, nothing delivered, 20,000 a second.
  const empty = run(100, 100, (_, s) => ({ ...s, wireBytes: s.wireBytes + 2000 * 22 }));
  assert.ok(empty && empty.step <= 30, JSON.stringify(empty));
  // One byte a record: every Ping frame in 12 records.
  const tiny = run(100, 100, (_, s) => ({
    wireBytes: s.wireBytes + 1000 * 12 * 23,
    plainBytes: s.plainBytes + 1000 * 12,
    frames: s.frames + 1000,
  }));
  assert.ok(tiny && tiny.step <= 10, JSON.stringify(tiny));
  // Padded records: one frame each, 16 KiB of padding.
  const padded = run(100, 100, (_, s) => ({
    wireBytes: s.wireBytes + 100 * (12 + 16384 + 22),
    plainBytes: s.plainBytes + 100 * 12,
    frames: s.frames + 100,
  }));
  assert.ok(padded && padded.step <= 3, JSON.stringify(padded));
});

Deno.test("TlsOverheadGuard: junk below the sustained rate is tolerated for good, above it is not", () => {
  const below = run(3600, 1000, (_, s) => ({ ...s, wireBytes: s.wireBytes + JUNK_RATE * 0.9 }));
  assert.equal(below, undefined);
  const above = run(3600, 1000, (_, s) => ({ ...s, wireBytes: s.wireBytes + JUNK_RATE * 1.5 }));
  assert.ok(above, "a sustained rate above JUNK_RATE trips");
  // It takes the burst over the excess rate to get there: about 64 s at 1.5 x.
  assert.ok(Math.abs(above.step - JUNK_BURST / (JUNK_RATE * 0.5)) <= 2, String(above.step));
});
