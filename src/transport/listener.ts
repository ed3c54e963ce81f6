import tls from "node:tls";
import type { Endpoint } from "../config/types.ts";
import { endSocket, formatRemote, type SecureStream, TlsSocketStream } from "./secure_stream.ts";
import { describeTlsError } from "./tls_errors.ts";
import { explainClientRefusal } from "./client_refusal.ts";
import { CloseCode, encodeClose } from "../frame/control.ts";
import { serverTlsOptions } from "./tls_options.ts";
import type { TlsMaterial } from "./material.ts";

export interface ListenerEvents {
  /** A client completed the mutual-TLS handshake. */
  onStream(stream: SecureStream): void;
  /** A handshake failed: `peer` is host:port, `reason` one line. */
  onHandshakeFailure(peer: string, reason: string): void;
}

/** host:port of a server-side socket; Deno keeps the address on the parent during handshakes. */
function peerOf(socket: tls.TLSSocket): string {
  const parent =
    (socket as unknown as { _parent?: { remoteAddress?: string; remotePort?: number } })
      ._parent;
  return formatRemote(
    socket.remoteAddress ?? parent?.remoteAddress,
    socket.remotePort ?? parent?.remotePort,
  );
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
      if (socket.authorized) {
        events.onStream(new TlsSocketStream(socket));
        return;
      }
      // The TLS layer did not authorize the client. It gets no session: only a Close frame that
      // says why (so its operator can fix it), then the connection ends.
      const cert = socket.getPeerCertificate(true);
      const der = cert?.raw ? new Uint8Array(cert.raw) : undefined;
      const reason = explainClientRefusal(der);
      events.onHandshakeFailure(peerOf(socket), `client certificate refused: ${reason}`);
      endSocket(
        socket,
        encodeClose({
          code: CloseCode.CertificateRefused,
          message: `certificate refused: ${reason}`,
        }),
      );
    });
    server.on("tlsClientError", (error: Error, socket: tls.TLSSocket) => {
      events.onHandshakeFailure(peerOf(socket), describeTlsError(error));
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
