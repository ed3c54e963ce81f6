/**
 * A resumed TLS session (a ticket from an earlier full handshake) gets no session: rustls under
 * Deno's node:tls restores the client certificate from the ticket without checking it again, and
 * the ticket keys live as long as the process (Deno ignores ticketKeys, sessionTimeout and
 * SSL_OP_NO_TICKET), so resumption is off: refused on the server, never done by our client. Real
 * openssl s_client with -sess_out/-sess_in against a real TlsListener, TLS 1.2 and 1.3.
 */
import assert from "node:assert/strict";
import tls from "node:tls";
import { type ListenerEvents, TlsListener } from "../../src/transport/listener.ts";
import type { TlsMaterial } from "../../src/pki/material.ts";
import { ALPN_PROTOCOL, clientTlsOptions } from "../../src/transport/tls_options.ts";
import { loopbackCertificates } from "../../tools/lab/loopback_certificates.ts";
import { issueClient } from "../lib/issue_client.ts";
import { pollUntil } from "../lib/poll.ts";

function recorder() {
  const seen = { streams: [] as string[], unauthorized: [] as string[], resumed: [] as boolean[] };
  const events: ListenerEvents = {
    onStream: (stream, slot) => {
      seen.streams.push(stream.info.peerName);
      slot.release();
      stream.end();
    },
    onUnauthorized: (peer) => {
      seen.unauthorized.push(peer.remote);
      seen.resumed.push(peer.resumed);
      peer.refuse();
    },
    onHandshakeFailure: () => {},
    onCapped: () => {},
    onHandshakeTimeout: () => {},
  };
  return { seen, events };
}

/** One s_client connection; returns "New" or "Reused" as s_client reports it. */
async function sClient(
  port: number,
  version: "1.2" | "1.3",
  client: { certFile: string; keyFile: string },
  session: { out?: string; in?: string },
): Promise<string> {
  const args = [
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    version === "1.2" ? "-tls1_2" : "-tls1_3",
    "-cert",
    client.certFile,
    "-key",
    client.keyFile,
    "-alpn",
    ALPN_PROTOCOL,
    ...(session.out ? ["-sess_out", session.out] : []),
    ...(session.in ? ["-sess_in", session.in] : []),
  ];
  // Stdin stays open until the server ends the connection, so a TLS 1.3 ticket has time to arrive.
  const child = new Deno.Command("openssl", {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const timer = setTimeout(() => child.kill(), 10_000);
  const output = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(output.stdout);
  const kind = text.match(/^(New|Reused), /m)?.[1];
  assert.ok(kind, `s_client printed no session line:\n${text}`);
  return kind;
}

/**
 * A full handshake of `client` (s_client, TLS `version`) with a listener serving `server`, then,
 * after `between`, the same session resumed from `sessionFile`; returns what the listener saw once
 * it had decided on the resumption (a stream or a refusal).
 */
async function resumeLater(
  version: "1.2" | "1.3",
  server: TlsMaterial,
  client: { certFile: string; keyFile: string },
  sessionFile: string,
  between: (listener: TlsListener) => Promise<void> | void = () => {},
) {
  const { seen, events } = recorder();
  const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events);
  try {
    const port = listener.endpoint.port;
    assert.equal(await sClient(port, version, client, { out: sessionFile }), "New");
    await pollUntil(() => seen.streams.length === 1, "the full handshake opens a stream");
    await between(listener);
    assert.equal(await sClient(port, version, client, { in: sessionFile }), "Reused");
    await pollUntil(
      () => seen.unauthorized.length + seen.streams.length === 2,
      "the resumed handshake is decided",
    );
    return seen;
  } finally {
    await listener.close();
  }
}

for (const version of ["1.2", "1.3"] as const) {
  Deno.test(`TlsListener refuses a resumed TLS ${version} session whose client certificate has expired since`, async () => {
    await using certs = await loopbackCertificates("sst-resume-");
    const notAfter = new Date(Date.now() + 4000);
    const client = await issueClient(certs.dir, "brief", {
      notBefore: new Date(Date.now() - 60_000),
      notAfter,
    });
    const server = await certs.material("server");
    const seen = await resumeLater(
      version,
      server,
      client,
      certs.path("session.pem"),
      () =>
        pollUntil(() => Date.now() > notAfter.getTime() + 1000, "the certificate expires", {
          timeoutMs: 15_000,
          intervalMs: 100,
        }),
    );
    assert.deepEqual(seen.streams, ["brief"], "the expired certificate got no stream");
    assert.equal(seen.unauthorized.length, 1);
  });

  Deno.test(`TlsListener refuses a resumed TLS ${version} session of the old CA after a new CA is loaded`, async () => {
    await using oldCerts = await loopbackCertificates("sst-resume-old-");
    await using newCerts = await loopbackCertificates("sst-resume-new-");
    const newServer = await newCerts.material("server");
    const client = { certFile: oldCerts.path("client.crt"), keyFile: oldCerts.path("client.key") };
    const seen = await resumeLater(
      version,
      await oldCerts.material("server"),
      client,
      oldCerts.path("session.pem"),
      (listener) => listener.setMaterial(newServer),
    );
    assert.deepEqual(seen.streams, ["client"], "the old CA's certificate got no stream");
    assert.equal(seen.unauthorized.length, 1);
  });

  Deno.test(`TlsListener refuses a resumed TLS ${version} session even of a valid certificate, and says it resumed`, async () => {
    await using certs = await loopbackCertificates("sst-resume-valid-");
    const client = { certFile: certs.path("client.crt"), keyFile: certs.path("client.key") };
    const server = await certs.material("server");
    const seen = await resumeLater(version, server, client, certs.path("session.pem"));
    assert.equal(seen.unauthorized.length, 1, "the resumed session is refused");
    assert.deepEqual(seen.streams, ["client"]);
    assert.deepEqual(seen.resumed, [true]);
  });
}

Deno.test("our client never resumes a TLS session: three connections in one process, all full handshakes", async () => {
  await using certs = await loopbackCertificates("sst-resume-ours-");
  const server = await certs.material("server");
  const client = await certs.material("client");
  const { seen, events } = recorder();
  const listener = await TlsListener.listen({ host: "127.0.0.1", port: 0 }, server, events);
  try {
    const endpoint = { host: "127.0.0.1", port: listener.endpoint.port };
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = tls.connect(clientTlsOptions(client, endpoint), () => {
          reused.push(socket.isSessionReused());
          socket.on("data", () => {});
          socket.once("close", () => resolve());
        });
        socket.once("error", reject);
      });
    }
    assert.deepEqual(reused, [false, false, false]);
    assert.equal(seen.streams.length, 3);
  } finally {
    await listener.close();
  }
});
