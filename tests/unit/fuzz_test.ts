/**
 * Fuzzing with fast-check: what a peer or a configuration file can feed the frame receiver, the
 * control-frame decoders and the configuration loader. No input may make them throw anything
 * but their own error type, run away, or hold memory beyond a fixed bound.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import { encodeFrame, FrameError } from "../../src/frame/codec.ts";
import {
  CONTROL_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FRAME_MAX_PAYLOAD,
  FrameType,
} from "../../src/frame/constants.ts";
import { decodeClose, decodeHello, decodePingToken } from "../../src/frame/control.ts";
import { FrameReceiver } from "../../src/frame/receiver.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { parseConfig } from "../../src/config/parse.ts";
import { RecordingWriter } from "../lib/recording_writer.ts";

const RUNS = { numRuns: 300 };

/** Runs `fn`; any error must be a FrameError. */
function onlyFrameErrors(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof FrameError)) throw error;
  }
}

/** A 4-byte header of any type (known ones favoured) declaring any 24-bit length. */
const header = fc.record({
  type: fc.oneof(fc.constantFrom(...Object.values(FrameType)), fc.integer({ min: 0, max: 255 })),
  length: fc.oneof(
    fc.integer({ min: 0, max: 0xffffff }),
    fc.constantFrom(0, 8, CONTROL_MAX_PAYLOAD, CONTROL_MAX_PAYLOAD + 1, FRAME_MAX_PAYLOAD),
    fc.constantFrom(FRAME_MAX_PAYLOAD + 1, 0xffffff),
  ),
}).map(({ type, length }) => {
  const bytes = new Uint8Array(FRAME_HEADER_SIZE);
  new DataView(bytes.buffer).setUint32(0, ((type << 24) | length) >>> 0);
  return bytes;
});

/** A received stream: headers, random bytes and well-formed frames, cut into chunks. */
const stream = fc.array(
  fc.oneof(
    header,
    fc.uint8Array({ maxLength: 3000 }),
    fc.uint8Array({ maxLength: 200 }).map((p) => encodeFrame(FrameType.Packet, p)),
    fc.uint8Array({ maxLength: 40 }).map((p) => encodeFrame(FrameType.Close, p)),
  ),
  { maxLength: 20 },
);

Deno.test("fuzz: FrameReceiver throws only FrameError and holds at most one frame", () => {
  fc.assert(
    fc.property(stream, (chunks) => {
      const receiver = new FrameReceiver(new RecordingWriter(), (frame) => {
        // What the session does with control frames: decode them.
        if (frame.type === FrameType.Hello) decodeHello(frame.payload);
        else if (frame.type === FrameType.Close) decodeClose(frame.payload);
        else decodePingToken(frame.payload);
      });
      onlyFrameErrors(() => {
        for (const chunk of chunks) {
          receiver.push(chunk);
          assert.ok(receiver.pendingBytes <= FRAME_HEADER_SIZE + FRAME_MAX_PAYLOAD);
        }
      });
    }),
    RUNS,
  );
});

Deno.test("fuzz: a header claiming 16 MiB is refused at once, without allocating for it", () => {
  for (const type of [FrameType.Packet, FrameType.Hello, FrameType.Close]) {
    const receiver = new FrameReceiver(new RecordingWriter(), () => {});
    const claim = new Uint8Array(FRAME_HEADER_SIZE);
    new DataView(claim.buffer).setUint32(0, ((type << 24) | 0xffffff) >>> 0);
    const before = Deno.memoryUsage();
    // The header alone is enough to refuse it: nothing waits for the 16 MiB.
    assert.throws(() => receiver.push(claim), FrameError);
    const after = Deno.memoryUsage();
    assert.equal(receiver.pendingBytes, 0);
    const grown = after.rss - before.rss + (after.external - before.external);
    assert.ok(grown < 4 * 1024 * 1024, `grew by ${grown} bytes`);
  }
});

Deno.test("fuzz: Hello, Close and Ping payloads of any bytes throw only FrameError", () => {
  const payload = fc.oneof(
    fc.uint8Array({ maxLength: CONTROL_MAX_PAYLOAD }),
    fc.json({ maxDepth: 4 }).map((text) => new TextEncoder().encode(text)),
    fc.record({
      protocol: fc.anything(),
      software: fc.anything(),
      address: fc.anything(),
      mtu: fc.anything(),
      features: fc.anything(),
    }, { requiredKeys: [] }).map((v) => {
      try {
        return new TextEncoder().encode(JSON.stringify(v) ?? "");
      } catch {
        return new Uint8Array(); // BigInt and cycles do not stringify
      }
    }),
  );
  fc.assert(
    fc.property(payload, (bytes) => {
      onlyFrameErrors(() => decodeHello(bytes));
      onlyFrameErrors(() => decodeClose(bytes));
      onlyFrameErrors(() => decodePingToken(bytes));
    }),
    { numRuns: 500 },
  );
});

const KEYS = [
  "mode",
  "listen",
  "server",
  "interface",
  "address",
  "network",
  "mtu",
  "logging",
  "security",
  "tls",
  "user",
  "group",
  "cert_file",
  "min_version",
];

/** Configuration-like values: known keys with any values, nested, and plain anything. */
const configLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.anything({ maxDepth: 2 }),
    tie("mapping"),
  ),
  mapping: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie("value"), {
    maxKeys: 6,
  }),
})).mapping;

function onlyConfigErrors(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Every problem is one line.
    for (const line of error.format().split("\n")) assert.ok(line.length > 0);
  }
}

Deno.test("fuzz: parseConfig() throws only ConfigError for any text or YAML mapping", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 400 }),
        fc.string({ unit: "binary", maxLength: 200 }),
        configLike.map((value) => {
          try {
            return stringify(value);
          } catch {
            return "";
          }
        }),
      ),
      (text) => onlyConfigErrors(() => parseConfig(text, "/fuzz.yaml")),
    ),
    RUNS,
  );
});

Deno.test("fuzz: YAML alias bombs and huge files are refused with a ConfigError", async () => {
  const bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 9; i++) {
    const previous = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    bomb.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
  }
  const started = performance.now();
  assert.throws(() => parseConfig(bomb.join("\n"), "/bomb.yaml"), ConfigError);
  assert.ok(performance.now() - started < 2000, "the alias bomb took too long");

  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.yaml`;
    using file = await Deno.open(big, { write: true, create: true });
    await file.truncate(64 * 1024 * 1024);
    await assert.rejects(loadConfig(big), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.format(), /is 67108864 bytes; a configuration file is at most 1048576/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
