import type tls from "node:tls";
import { formatRemote } from "./secure_stream.ts";

/**
 * host:port of the client of a server-side TLS socket.
 *
 * Works around a Deno behaviour (node:tls polyfill, 2.9.x): while the handshake runs, and when it
 * fails, the TLSSocket's own remoteAddress/remotePort are undefined and only the TCP socket it
 * wraps, kept in the private field `_parent`, knows them. This is the one place that reads it.
 */
export function peerAddressOf(socket: tls.TLSSocket): string {
  const parent =
    (socket as unknown as { _parent?: { remoteAddress?: string; remotePort?: number } })
      ._parent;
  return formatRemote(
    socket.remoteAddress ?? parent?.remoteAddress,
    socket.remotePort ?? parent?.remotePort,
  );
}
