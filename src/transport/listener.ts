import tls from "node:tls";
import type { Endpoint } from "../config/types.ts";
import { formatRemote, type SecureStream, TlsSocketStream } from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { serverTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "./material.ts";

export interface ListenerEvents {
  /** A client completed the mutual-TLS handshake. */
  onStream(stream: SecureStream): void;
  /** A handshake failed: `peer` is host:port, `reason` one line. */
  onHandshakeFailure(peer: string, reason: string): void;
}

/** Accepts mutually authenticated TLS connections. */
export class TlsListener {
  #server: tls.Server;
  readonly endpoint: Endpoint;

  private constructor(server: tls.Server, endpoint: Endpoint) {
    this.#server = server;
    this.endpoint = endpoint;
  }

  /** Starts listening; rejects with a clear message when the address cannot be bound. */
  static listen(endpoint: Endpoint, material: TlsMaterial, events: ListenerEvents) {
    const server = tls.createServer(serverTlsOptions(material), (socket) => {
      events.onStream(new TlsSocketStream(socket));
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      events.onHandshakeFailure(
        formatRemote(socket.remoteAddress, socket.remotePort),
        describeTlsError(error),
      );
      socket.destroy();
    });
    return new Promise<TlsListener>((resolve, reject) => {
      server.once("error", (error: Error) => {
        reject(
          new Error(
            `cannot listen on ${formatRemote(endpoint.host, endpoint.port)}: ${
              describeTlsError(error)
            }`,
          ),
        );
      });
      server.listen(endpoint.port, endpoint.host, () => {
        const address = server.address();
        const port = typeof address === "object" && address ? address.port : endpoint.port;
        resolve(new TlsListener(server, { host: endpoint.host, port }));
      });
    });
  }

  /** Replaces the certificate, key and CA used for new connections; live ones keep theirs. */
  setMaterial(material: TlsMaterial): void {
    this.#server.setSecureContext(serverTlsOptions(material));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
