import tls from "node:tls";
import type { Endpoint } from "../config/types.ts";
import {
  formatRemote,
  IncomingChunks,
  type SecureStream,
  TlsSocketStream,
} from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { clientTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "../pki/material.ts";
import { diagnoseServerCertificate, fetchServerCertificate } from "./server_diagnosis.ts";

/** TLS failures that are about the server's certificate (worth examining it). */
const CERTIFICATE_FAILURE =
  /certificate|verify|UnknownIssuer|unknown ca|Expired|NotValid|ALTNAME|hostname|IP address mismatch|InvalidPurpose|BadCertificate|UnsupportedCertificate|alert/i;

/** A connection attempt failed; the message is one line for the operator. */
export class DialError extends Error {
  override name = "DialError";
}

export interface DialOptions {
  /** Give up after this long. @default 10000 */
  readonly timeoutMs?: number;
  /** Abandons the attempt at once (the client is stopping). */
  readonly signal?: AbortSignal;
}

/** Connects to the server and completes the mutual-TLS handshake within the timeout. */
export function dialTls(
  server: Endpoint,
  material: TlsMaterial,
  options: DialOptions = {},
): Promise<SecureStream> {
  const { timeoutMs = 10_000, signal } = options;
  const where = formatRemote(server.host, server.port);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DialError(`connecting to ${where} was abandoned`));
    const incoming = new IncomingChunks();
    const socket = tls.connect({
      ...clientTlsOptions(material, server),
      onread: incoming.onread(),
    } as tls.ConnectionOptions);
    const onAbort = () => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(`connecting to ${where} was abandoned`));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      reject(new DialError(`cannot connect to ${where}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    // A refused server certificate: its real cause, from the certificate itself.
    const refuse = async (error: unknown, der: Uint8Array | undefined) => {
      let reason: string | undefined;
      if (CERTIFICATE_FAILURE.test(String(error))) {
        try {
          const cert = der ?? await fetchServerCertificate(server, material);
          if (cert) reason = await diagnoseServerCertificate(cert, material.ca, server.host);
        } catch { /* fall back to the TLS layer's words */ }
      }
      reject(new DialError(`cannot connect to ${where}: ${reason ?? describeTlsError(error)}`));
    };
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (!socket.authorized) {
        const raw = socket.getPeerCertificate(true)?.raw;
        socket.destroy();
        refuse(socket.authorizationError, raw ? new Uint8Array(raw) : undefined);
        return;
      }
      resolve(new TlsSocketStream(socket, incoming));
    });
    socket.once("error", (error: Error) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      refuse(error, undefined);
    });
  });
}
