import assert from "node:assert/strict";
import {
  MonitorBindError,
  type MonitorHttpOptions,
  MonitorHttpServer,
} from "../../src/monitor/http_server.ts";

function serve(options: MonitorHttpOptions = {}) {
  const errors: string[] = [];
  const server = MonitorHttpServer.listen(
    { hostname: "127.0.0.1", port: 0 },
    (request) => {
      if (request.path === "/boom") throw new Error("broken route");
      return { status: 200, contentType: "text/plain", body: `path ${request.path}\n` };
    },
    { onError: (message) => errors.push(message), ...options },
  );
  return { server, errors };
}

/** Sends raw bytes, returns everything the server answers until it closes. */
async function raw(port: number, bytes: Uint8Array | string, endWrite = false): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    await conn.write(data).catch(() => 0);
    if (endWrite) await conn.closeWrite();
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(65536);
    while (true) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    try {
      conn.close();
    } catch { /* closed */ }
  }
}

Deno.test("the monitor's HTTP server answers GET with a body and HEAD without", async () => {
  const { server } = serve();
  await using _ = server;
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics?x=1`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("connection"), "close");
  assert.equal(await response.text(), "path /metrics\n");
  const head = await raw(server.port, "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
  assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(head, /Content-Length: 8\r\n/);
  assert.ok(head.endsWith("\r\n\r\n"), "no body after HEAD");
});

Deno.test("the monitor's HTTP server answers garbage with 400 and keeps serving", async () => {
  const { server } = serve();
  await using _ = server;
  const garbage = crypto.getRandomValues(new Uint8Array(600));
  garbage.set([13, 10, 13, 10], 596);
  assert.match(await raw(server.port, garbage), /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.match(await raw(server.port, "GET\r\n\r\n"), /^HTTP\/1\.1 400 /);
  assert.match(await raw(server.port, "GET / HTTP/2.0\r\n\r\n"), /^HTTP\/1\.1 505 /);
  assert.match(
    await raw(server.port, "GET / HTTP/1.1\r\nbad header\r\n\r\n"),
    /^HTTP\/1\.1 400 [^]*malformed header line/,
  );
  const post = await raw(server.port, "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  assert.match(post, /^HTTP\/1\.1 405 [^]*Allow: GET, HEAD\r\n/);
  assert.equal(await raw(server.port, "GET / HTTP/1.1\r\n", true), "", "a half request: closed");
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 200);
});

Deno.test("the monitor's HTTP server refuses an oversized request head with 431", async () => {
  const { server } = serve({ maxRequestBytes: 1024 });
  await using _ = server;
  const big = `GET / HTTP/1.1\r\nX-Fill: ${"a".repeat(4000)}\r\n\r\n`;
  assert.match(await raw(server.port, big), /^HTTP\/1\.1 431 [^]*larger than 1024 bytes/);
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 200);
});

Deno.test("the monitor's HTTP server times out a request head that never ends (408)", async () => {
  const { server } = serve({ headerTimeoutMs: 200 });
  await using _ = server;
  const started = performance.now();
  assert.match(await raw(server.port, "GET / HTTP/1.1\r\nHost: x\r\n"), /^HTTP\/1\.1 408 /);
  assert.ok(performance.now() - started < 3000);
});

Deno.test("the monitor's HTTP server turns a failing route into 500 and reports it", async () => {
  const { server, errors } = serve();
  await using _ = server;
  const response = await fetch(`http://127.0.0.1:${server.port}/boom`);
  assert.equal(response.status, 500);
  await response.body?.cancel();
  assert.deepEqual(errors, ["monitoring: /boom failed: broken route"]);
});

Deno.test("the monitor's HTTP server closes connections beyond its cap and its probation at once", async () => {
  const { server } = serve({ maxConnections: 2, maxProbation: 0, headerTimeoutMs: 2000 });
  await using _ = server;
  const idle = await Promise.all(
    [1, 2].map(() => Deno.connect({ hostname: "127.0.0.1", port: server.port })),
  );
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await raw(server.port, "GET / HTTP/1.1\r\n\r\n"), "");
  } finally {
    for (const conn of idle) conn.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await fetch(`http://127.0.0.1:${server.port}/`)).status, 200);
});

Deno.test("the monitor's HTTP server gives a whole request the place of the oldest connection still sending its head", async () => {
  const { server } = serve({ maxConnections: 2, headerTimeoutMs: 5000 });
  await using _ = server;
  const idle: Deno.TcpConn[] = [];
  for (let i = 0; i < 2; i++) {
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  try {
    assert.match(await raw(server.port, "GET /x HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 200 OK/);
    // The oldest idle connection lost its place; the younger one still holds its own.
    assert.equal(await idle[0]!.read(new Uint8Array(16)).catch(() => null), null);
    // Full again: a connection that does not finish its head on probation gets no answer.
    idle.push(await Deno.connect({ hostname: "127.0.0.1", port: server.port }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await raw(server.port, "GET /y HTTP/1.1\r\n"), "");
  } finally {
    for (const conn of idle) {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
});

Deno.test("a port in use is a MonitorBindError that says so", async () => {
  const { server } = serve();
  await using _ = server;
  assert.throws(
    () =>
      MonitorHttpServer.listen({ hostname: "127.0.0.1", port: server.port }, () => {
        throw new Error("unused");
      }),
    (error: unknown) =>
      error instanceof MonitorBindError &&
      error.message ===
        `cannot listen on 127.0.0.1:${server.port}: the port is in use by another program`,
  );
});

const hasIpv6Loopback = (() => {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "the monitor's HTTP server listens on an IPv6 address and names it in brackets",
  ignore: !hasIpv6Loopback,
  async fn() {
    const server = MonitorHttpServer.listen(
      { hostname: "::1", port: 0 },
      () => ({ status: 200, contentType: "text/plain", body: "ok\n" }),
    );
    await using _ = server;
    assert.equal(await (await fetch(`http://[::1]:${server.port}/healthz`)).text(), "ok\n");
    assert.throws(
      () =>
        MonitorHttpServer.listen({ hostname: "::1", port: server.port }, () => ({
          status: 200,
          contentType: "text/plain",
          body: "",
        })),
      { message: `cannot listen on [::1]:${server.port}: the port is in use by another program` },
    );
  },
});
