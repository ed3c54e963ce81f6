import tls from "node:tls";
import type { Endpoint } from "../config/types.ts";
import { formatRemote, type SecureStream, TlsSocketStream } from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { clientTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "./material.ts";

/** A connection attempt failed; the message is one line for the operator. */
export class DialError extends Error {
  override name = "DialError";
}

/** Connects to the server and completes the mutual-TLS handshake within timeoutMs. */
export function dialTls(
  server: Endpoint,
  material: TlsMaterial,
  timeoutMs = 10_000,
): Promise<SecureStream> {
  const where = formatRemote(server.host, server.port);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(clientTlsOptions(material, server));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DialError(`cannot connect to ${where}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      if (!socket.authorized) {
        socket.destroy();
        reject(
          new DialError(
            `cannot connect to ${where}: ${describeTlsError(socket.authorizationError)}`,
          ),
        );
        return;
      }
      resolve(new TlsSocketStream(socket));
    });
    socket.once("error", (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new DialError(`cannot connect to ${where}: ${describeTlsError(error)}`));
    });
  });
}
