/**
 * What Deno's TLS lets a native data plane take over (docs/design/native-data-plane.md). These are
 * facts about the runtime, not about our code: when one of them fails after a Deno upgrade, the
 * native data plane's first blocker may be gone and the design note needs a new look.
 *
 * 1. node:tls (our listener and our dialer) never reports a session's traffic secrets: no
 *    `keylog` event on a socket or a server, and nothing in SSLKEYLOGFILE, which only
 *    `Deno.connectTls`/`Deno.listenTls` honour (and `Deno.listenTls` cannot verify a client).
 * 2. Reading can be stopped for real only on the TCP handle under a node:tls socket
 *    (`_handle._nativeTcpHandle.readStop()`, resumed by its `readStart()`); `pause()` keeps
 *    reading into memory.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { withMaterial } from "../lib/tls_material.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";
import { pollUntil } from "../lib/poll.ts";

/** A script run with SSLKEYLOGFILE set: a node:tls pair, then Deno.connectTls to the same server. */
const KEYLOG_SCRIPT = `
import tls from "node:tls";
const [server, client] = JSON.parse(Deno.args[0]);
const counts = { serverEvents: 0, clientEvents: 0, nodeFileBytes: 0, denoFileLabels: [] };
const srv = tls.createServer({ ...server, requestCert: true, minVersion: "TLSv1.3" }, (s) => s.end("x"));
srv.on("keylog", () => counts.serverEvents++);
await new Promise((ok) => srv.listen(0, "127.0.0.1", ok));
const port = srv.address().port;
await new Promise((ok, fail) => {
  const c = tls.connect({ ...client, port, host: "127.0.0.1" });
  c.on("keylog", () => counts.clientEvents++);
  c.on("data", () => {});
  c.on("end", ok);
  c.on("error", fail);
});
counts.nodeFileBytes = Deno.statSync(Deno.env.get("SSLKEYLOGFILE")).size;
const conn = await Deno.connectTls({ port, hostname: "127.0.0.1", caCerts: [client.ca], cert: client.cert, key: client.key });
await conn.handshake();
await conn.read(new Uint8Array(8));
conn.close();
counts.denoFileLabels = Deno.readTextFileSync(Deno.env.get("SSLKEYLOGFILE")).trim().split("\\n").map((l) => l.split(" ")[0]);
srv.close();
console.log(JSON.stringify(counts));
`;

function nodeOptions(m: TlsMaterial) {
  return { cert: m.cert, key: m.key, ca: m.ca };
}

Deno.test("node:tls in this Deno reports no traffic secrets: no keylog event, nothing in SSLKEYLOGFILE", async () => {
  await withMaterial(async (server, client) => {
    const dir = await Deno.makeTempDir({ prefix: "np-keylog-" });
    try {
      const keyFile = `${dir}/keys.log`;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["eval", KEYLOG_SCRIPT, JSON.stringify([nodeOptions(server), nodeOptions(client)])],
        env: { SSLKEYLOGFILE: keyFile, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert(out.success, new TextDecoder().decode(out.stderr));
      const counts = JSON.parse(text.trim().split("\n").at(-1)!);
      assert.equal(counts.serverEvents, 0, "node:tls server emitted keylog");
      assert.equal(counts.clientEvents, 0, "node:tls client emitted keylog");
      assert.equal(counts.nodeFileBytes, 0, "node:tls wrote to SSLKEYLOGFILE");
      // The mechanism works where Deno wires it: its own client logs both traffic secrets.
      assert(counts.denoFileLabels.includes("CLIENT_TRAFFIC_SECRET_0"), text);
      assert(counts.denoFileLabels.includes("SERVER_TRAFFIC_SECRET_0"), text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

interface Flood {
  /** Bytes the client's TCP handle has handed to its kernel so far. */
  flushed(): number;
  close(): void;
}

/** A node:tls pair; `stop` runs on the server's socket, then the client writes `total` bytes. */
async function flood(
  server: TlsMaterial,
  client: TlsMaterial,
  total: number,
  stop: (socket: tls.TLSSocket) => void,
): Promise<Flood> {
  let accepted: tls.TLSSocket | undefined;
  const srv = tls.createServer({ ...nodeOptions(server), requestCert: true }, (s) => {
    accepted = s;
    s.on("data", () => {});
    stop(s);
  });
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const c = tls.connect({
    ...nodeOptions(client),
    port: (srv.address() as AddressInfo).port,
    host: "127.0.0.1",
  });
  c.on("error", () => {});
  await new Promise((ok) => c.once("secureConnect", ok));
  await pollUntil(() => accepted !== undefined, "the server accepted the client");
  const chunk = new Uint8Array(64 * 1024);
  let queued = 0;
  const pump = () => {
    while (queued < total) {
      queued += chunk.length;
      if (!c.write(chunk)) return;
    }
  };
  c.on("drain", pump);
  pump();
  return {
    flushed: () => queued - c.writableLength,
    close: () => {
      c.destroy();
      accepted?.destroy();
      srv.close();
    },
  };
}

Deno.test("pause() on a node:tls socket keeps reading from the kernel into memory", async () => {
  await withMaterial(async (server, client) => {
    const total = 32 * 1024 * 1024;
    const f = await flood(server, client, total, (s) => s.pause());
    try {
      await pollUntil(() => f.flushed() >= total, "the client flushed everything", {
        timeoutMs: 20_000,
      });
    } finally {
      f.close();
    }
  });
});

Deno.test("readStop() on the TCP handle under a node:tls socket stops reading from the kernel, readStart() resumes", async () => {
  await withMaterial(async (server, client) => {
    const total = 64 * 1024 * 1024;
    // deno-lint-ignore no-explicit-any
    let tcp: any;
    const f = await flood(server, client, total, (s) => {
      // deno-lint-ignore no-explicit-any
      tcp = (s as any)._handle._nativeTcpHandle;
      assert.equal(tcp.readStop(), 0);
    });
    try {
      // Wait until the client can hand nothing more to its kernel: both kernels' buffers full.
      let last = -1;
      await pollUntil(
        () => {
          const now = f.flushed();
          const settled = now === last;
          last = now;
          return settled;
        },
        "the client's flushed bytes stopped growing",
        { intervalMs: 300, timeoutMs: 20_000 },
      );
      assert(last < total / 4, `the client flushed ${last} bytes to a stopped reader`);
      assert.equal(tcp.readStart(), 0);
      await pollUntil(() => f.flushed() >= total, "the client flushed everything after readStart", {
        timeoutMs: 20_000,
      });
    } finally {
      f.close();
    }
  });
});
