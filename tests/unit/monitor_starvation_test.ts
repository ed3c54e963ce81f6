/**
 * The cron file's health check (its own curl command line, verbatim but for the port) must pass
 * while 64 slow local connections keep the monitor busy: each sends half a request head and
 * connects again as soon as it is closed (a slowloris).
 */
import assert from "node:assert/strict";
import { MonitorHttpServer } from "../../src/monitor/http_server.ts";

const CRON_FILE = new URL("../../configs/sssonector.cron", import.meta.url);

/** The curl command of the cron file's health check, aimed at `port`. */
async function cronHealthCheck(port: number): Promise<string[]> {
  const text = await Deno.readTextFile(CRON_FILE);
  const command = text.match(/curl [^|;]*\/healthz/)?.[0];
  assert.ok(command, "the cron file has a curl health check");
  return command.replace(":9090/", `:${port}/`).split(/\s+/);
}

/** A connection that sends half a request head, holds its place, and comes back when closed. */
async function slowClient(port: number, stop: AbortSignal): Promise<number> {
  let connections = 0;
  while (!stop.aborted) {
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port });
    } catch {
      continue;
    }
    connections++;
    const closeOnStop = () => conn.close();
    stop.addEventListener("abort", closeOnStop);
    try {
      await conn.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHost: x"));
      while ((await conn.read(new Uint8Array(1024))) !== null) { /* until closed */ }
    } catch {
      // reset or closed by stop
    } finally {
      stop.removeEventListener("abort", closeOnStop);
      try {
        conn.close();
      } catch { /* closed */ }
    }
  }
  return connections;
}

Deno.test("the cron health check passes 12 of 12 times while 64 slow local connections hold the monitor", async () => {
  const server = MonitorHttpServer.listen(
    { hostname: "127.0.0.1", port: 0 },
    () => ({ status: 200, contentType: "text/plain", body: "ok\n" }),
  );
  await using _ = server;
  const stop = new AbortController();
  const attackers = Array.from({ length: 64 }, () => slowClient(server.port, stop.signal));
  const [curl, ...args] = await cronHealthCheck(server.port);
  let passed = 0;
  const failures: string[] = [];
  try {
    // Let the slow connections take every place first.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < 12; i++) {
      const result = await new Deno.Command(curl!, { args, stdout: "null", stderr: "piped" })
        .output();
      if (result.success) passed++;
      else failures.push(new TextDecoder().decode(result.stderr).trim());
    }
  } finally {
    stop.abort();
    await Promise.all(attackers);
  }
  assert.equal(passed, 12, `${passed} of 12 passed: ${failures.join("; ")}`);
});
