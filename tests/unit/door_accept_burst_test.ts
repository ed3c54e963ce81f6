/**
 * The listener at a low open-file limit survives a burst of connections that queued in the kernel
 * while its event loop was busy. Deno 2.9.6 takes every connection waiting in the accept queue at
 * once (its accept drains the queue before any JavaScript runs), so the queue's length (the listen
 * backlog, 511 by default) counts against the open-file limit on top of the pending places; one
 * accept that fails with EMFILE stops a node:net server for good. This file runs a listener in a
 * child process (`deno run` of this file) under `prlimit`, stalls its event loop while this process
 * opens hundreds of connections, and checks the listener still serves a TLS client afterwards.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { TlsListener } from "../../src/transport/listener.ts";
import { dialTls } from "../../src/transport/dialer.ts";
import { withMaterial } from "../lib/tls_material.ts";
import { acceptOnly } from "../../tools/lab/listener_events.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";

/** Pending places of the child's listener; its open-file limit leaves room for them and a burst. */
const MAX_PENDING = 32;
const FILE_LIMIT = 128;
/** How long the child's event loop is kept busy while connections queue. */
const STALL_MS = 1500;

/** The child: a listener, its port on stdout, then a busy event loop; serves until killed. */
async function child(material: TlsMaterial) {
  const listener = await TlsListener.listen(
    { host: "127.0.0.1", port: 0 },
    material,
    acceptOnly((stream) => stream.destroy()),
    {
      maxPending: MAX_PENDING,
      maxPendingPerSource: MAX_PENDING,
      handshakeTimeoutMs: 60_000,
      // The burst is what is tested, not the watchdog's repair.
      watchdogIntervalMs: 600_000,
    },
  );
  console.log(listener.endpoint.port);
  const started = performance.now();
  while (performance.now() - started < STALL_MS) { /* busy: connections queue in the kernel */ }
  await new Promise(() => {});
}

if (import.meta.main) {
  await child(JSON.parse(Deno.args[0]!));
}

Deno.test("TlsListener at a low open-file limit keeps accepting after a burst that queued while its event loop was busy", async () => {
  await withMaterial(async (server, client) => {
    const process = new Deno.Command("prlimit", {
      args: [
        `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`,
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        import.meta.filename!,
        JSON.stringify(server),
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const flood: net.Socket[] = [];
    try {
      const reader = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the child listener exited");
        text += value;
      }
      const port = Number(text.trim());
      // While the child is busy: far more connections than its open-file limit.
      for (let i = 0; i < 400; i++) {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.on("error", () => {});
        flood.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, STALL_MS + 500));
      for (const socket of flood) socket.destroy();
      const outcome = await dialTls({ host: "127.0.0.1", port }, client, { timeoutMs: 5000 }).then(
        (stream) => (stream.destroy(), "a session"),
        (error: Error) => error.message,
      );
      assert.equal(outcome, "a session", "the listener stopped accepting after the burst");
    } finally {
      for (const socket of flood) socket.destroy();
      process.kill("SIGKILL");
      await process.status;
      await process.stdout.cancel().catch(() => {});
    }
  });
});
