/**
 * The native data plane experiment's record layer (tools/native_plane/, not shipped) against
 * real TLS stacks on loopback: node:tls on rustls (our default path's TLS) and libssl. After
 * libssl's handshake, mutual authentication and Hello, the probe protects and unprotects every
 * record itself; the peer must read them as ordinary TLS 1.3 and its records must open, in every
 * suite, with KeyUpdates both ways. A record altered on the wire must end the session.
 * Needs cc and libssl-dev (./sssonector's ensure_test_tools installs both).
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";

const DIR = new URL("../../tools/native_plane/", import.meta.url).pathname;
const COMMON = ["np_session.c", "np_receive.c", "np_connect.c", "tls_record.c"];
const BYTES = 4_000_000;

/** cc and libssl's headers: without them the tests skip (ensure_test_tools installs both). */
const hasToolchain = (() => {
  try {
    Deno.statSync("/usr/include/openssl/ssl.h");
    return new Deno.Command("cc", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

interface Lab {
  readonly dir: string;
  readonly probe: string;
  readonly peer: string;
  readonly files: (role: "server" | "client") => string[];
  readonly read: (file: string) => Promise<string>;
}

async function compile(dir: string, main: string): Promise<string> {
  const out = `${dir}/${main.replace(/\.c$/, "")}`;
  const result = await new Deno.Command("cc", {
    args: ["-O2", "-Wall", "-Werror", "-o", out, DIR + main, ...COMMON.map((f) => DIR + f)]
      .concat(["-lssl", "-lcrypto", "-lpthread"]),
    stderr: "piped",
  }).output();
  assert.ok(result.success, new TextDecoder().decode(result.stderr));
  return out;
}

async function withLab(fn: (lab: Lab) => Promise<void>) {
  await using certs = await loopbackCertificates("np-interop-");
  const dir = certs.dir;
  const [probe, peer] = await Promise.all([
    compile(dir, "np_probe.c"),
    compile(dir, "np_peer.c"),
  ]);
  await fn({
    dir,
    probe,
    peer,
    files: (role) => [certs.path(`${role}.crt`), certs.path(`${role}.key`), certs.path("ca.crt")],
    read: certs.read,
  });
}

interface ProbeResult {
  ok: boolean;
  suite: string;
  echoed: number;
  recordsBeforeTakeover: { sent: number; received: number };
  keyUpdates: { sent: number; received: number };
}

async function runProbe(lab: Lab, port: number, extra: string[]) {
  const out = await new Deno.Command(lab.probe, {
    args: ["127.0.0.1", String(port), ...lab.files("client"), String(BYTES), ...extra],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  return { code: out.code, result: JSON.parse(text.split("\n").at(-1)!) as ProbeResult, text };
}

/** A node:tls echo server requiring a client certificate, as our listener does. */
async function rustlsEcho(lab: Lab) {
  let authorized = false;
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    cert: await lab.read("server.crt"),
    key: await lab.read("server.key"),
    ca: await lab.read("ca.crt"),
    requestCert: true,
    minVersion: "TLSv1.3",
  }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    authorized = socket.authorized;
    socket.on("data", (chunk: Uint8Array) => socket.write(chunk));
    socket.on("error", () => {});
    socket.on("end", () => socket.end());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    port: (server.address() as AddressInfo).port,
    authorized: () => authorized,
    /** Stops listening and ends what is still open: server.close() alone waits for every
     * connection, and a relay that saw its peer reset may never end its side. */
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const SUITES = {
  TLS_AES_256_GCM_SHA384: "0x1302",
  TLS_AES_128_GCM_SHA256: "0x1301",
  TLS_CHACHA20_POLY1305_SHA256: "0x1303",
};

Deno.test({
  name:
    "native record layer and node:tls (rustls) read each other's records in every TLS 1.3 suite, KeyUpdate both ways",
  ignore: !hasToolchain,
}, async () => {
  await withLab(async (lab) => {
    for (const [suite, id] of Object.entries(SUITES)) {
      const echo = await rustlsEcho(lab);
      try {
        const { code, result, text } = await runProbe(lab, echo.port, [suite, "--key-update"]);
        assert.equal(code, 0, text);
        assert.equal(result.suite, id);
        assert.equal(result.echoed, BYTES);
        assert.ok(echo.authorized(), "rustls verified the probe's client certificate");
        // Our KeyUpdate asked for one back: rustls sent it, and we opened what followed with it.
        assert.equal(result.keyUpdates.sent, 1, text);
        assert.equal(result.keyUpdates.received, 1, text);
      } finally {
        await echo.close();
      }
    }
  });
});

Deno.test({
  name:
    "native record layer answers a libssl peer that asks for a KeyUpdate every 256 KB, and closes with close_notify",
  ignore: !hasToolchain,
}, async () => {
  await withLab(async (lab) => {
    const peer = new Deno.Command(lab.peer, {
      args: ["127.0.0.1", "0", ...lab.files("server"), String(256 * 1024)],
      stderr: "piped",
    }).spawn();
    // Its stderr, read until it listens, then to the end.
    let peerSays = "";
    const reader = peer.stderr.pipeThrough(new TextDecoderStream()).getReader();
    while (!/listening on [\d.]+:\d+\n/.test(peerSays)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `np_peer ended before listening: ${peerSays}`);
      peerSays += value;
    }
    const port = Number(/listening on [\d.]+:(\d+)/.exec(peerSays)![1]);
    const rest = (async () => {
      for (let r = await reader.read(); !r.done; r = await reader.read()) peerSays += r.value;
    })();
    const probe = await runProbe(lab, port, []);
    const status = await peer.status;
    await rest;
    assert.equal(probe.code, 0, probe.text);
    assert.ok(status.success, peerSays);
    assert.match(peerSays, /ended by close_notify/);
    // libssl sent two session tickets and the Hello's echo before the takeover.
    assert.deepEqual(probe.result.recordsBeforeTakeover, { sent: 1, received: 3 });
    assert.ok(probe.result.keyUpdates.received >= 10, probe.text);
    assert.ok(probe.result.keyUpdates.sent >= 1, probe.text);
  });
});

Deno.test({
  name:
    "native record layer ends the session at a record altered on the wire and delivers nothing of it",
  ignore: !hasToolchain,
}, async () => {
  await withLab(async (lab) => {
    const echo = await rustlsEcho(lab);
    // A relay that flips one bit in the server's stream once 100 KB have passed.
    const relay = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const relayed = (async () => {
      const inbound = await relay.accept();
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
      let seen = 0;
      const tamper = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          if (seen < 100_000 && seen + chunk.length >= 100_000) chunk[100_000 - seen]! ^= 1;
          seen += chunk.length;
          controller.enqueue(chunk);
        },
      });
      await Promise.allSettled([
        inbound.readable.pipeTo(outbound.writable),
        outbound.readable.pipeThrough(tamper).pipeTo(inbound.writable),
      ]);
    })();
    try {
      const { code, result, text } = await runProbe(lab, (relay.addr as Deno.NetAddr).port, []);
      assert.equal(code, 1, text);
      assert.equal(result.ok, false);
      assert.ok(
        result.echoed < 100_000,
        `${result.echoed} bytes delivered past the altered record`,
      );
    } finally {
      relay.close();
      await echo.close();
      await relayed;
    }
  });
});
