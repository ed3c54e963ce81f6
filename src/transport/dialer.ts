import tls from "node:tls";
import type { Endpoint } from "../config/types.ts";
import {
  formatRemote,
  IncomingChunks,
  type SecureStream,
  TlsSocketStream,
} from "./secure_stream.ts";
import { describeDialFailure } from "./tls_errors.ts";
import { clientTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "../pki/material.ts";
import { diagnoseServerCertificate, fetchServerCertificate } from "./server_diagnosis.ts";
import type net from "node:net";
import { type HttpProxy, ProxyError } from "./http_proxy.ts";
import { isAddressLiteral, race, resolveServer } from "./happy_eyeballs.ts";

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
  /** Reach the server through this HTTP proxy (CONNECT), unless its no_proxy names the server. */
  readonly proxy?: HttpProxy;
  /** Told what a server's name resolved to, at every dial (the client's underlay, underlay.ts). */
  readonly onResolved?: (host: string, addresses: readonly string[]) => void;
  /** Why a resolved address must not be dialled (it is routed through the tunnel), or undefined. */
  readonly refuseAddress?: (address: string) => string | undefined;
}

/**
 * Connects to the server (through the proxy when one applies) and completes the mutual-TLS
 * handshake within the timeout.
 */
export async function dialTls(
  server: Endpoint,
  material: TlsMaterial,
  options: DialOptions = {},
): Promise<SecureStream> {
  const { proxy, timeoutMs = 10_000, signal } = options;
  if (!proxy || proxy.bypasses(server.host)) {
    if (isAddressLiteral(server.host)) return await handshake(server, material, options);
    // A name is looked up at every dial, and all its addresses raced (happy_eyeballs.ts); the
    // stream's remote is the address that answered.
    let addresses: string[];
    try {
      addresses = await resolveServer(server.host);
    } catch (error) {
      throw new DialError(
        `cannot connect to ${formatRemote(server.host, server.port)}: ${(error as Error).message}`,
      );
    }
    options.onResolved?.(server.host, addresses);
    const refusals = addresses.map((address) => options.refuseAddress?.(address));
    const allowed = addresses.filter((_, i) => refusals[i] === undefined);
    if (allowed.length === 0) {
      throw new DialError(
        `cannot connect to ${formatRemote(server.host, server.port)}: ${refusals[0]}`,
      );
    }
    const { value } = await race(
      allowed,
      (address) => handshake(server, material, options, undefined, address),
      (stream) => stream.destroy(),
    );
    return value;
  }
  const started = Date.now();
  let tunnel: net.Socket;
  try {
    tunnel = await proxy.open(server, {
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    throw new DialError(
      `cannot connect to ${formatRemote(server.host, server.port)}: ${error.message}`,
    );
  }
  return await handshake(server, material, {
    ...options,
    timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
  }, tunnel);
}

/**
 * The TLS handshake, over `tunnel` when given, else over a new connection to the server (to
 * `address` when given: one of its name's addresses; the certificate must still name the host).
 */
function handshake(
  server: Endpoint,
  material: TlsMaterial,
  options: DialOptions,
  tunnel?: net.Socket,
  address?: string,
): Promise<SecureStream> {
  const { timeoutMs = 10_000, signal } = options;
  const where = formatRemote(server.host, server.port);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      tunnel?.destroy();
      return reject(new DialError(`connecting to ${where} was abandoned`));
    }
    // node:tls honours onread only on connections it opens itself, not over a given socket.
    const incoming = tunnel ? undefined : new IncomingChunks();
    const socket = tls.connect({
      ...clientTlsOptions(material, server),
      ...(tunnel ? { socket: tunnel } : {}),
      ...(address ? { host: address } : {}),
      ...(incoming ? { onread: incoming.onread() } : {}),
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
      reject(
        new DialError(`cannot connect to ${where}: ${reason ?? describeDialFailure(error)}`),
      );
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
