/**
 * A stand-in for systemd's notification socket: binds a unix datagram socket at the path given
 * and prints every datagram received as one JSON line (`{"message":"READY=1\nSTATUS=..."}`),
 * after a first line `{"listening":PATH}`. Run with --unstable-net (Deno.listenDatagram on
 * unix sockets is unstable); ends on SIGTERM.
 */

const path = Deno.args[0];
if (path === undefined) throw new TypeError("usage: notify_listener.ts SOCKET_PATH");
const socket = Deno.listenDatagram({ transport: "unixpacket", path });
console.log(JSON.stringify({ listening: path }));
Deno.addSignalListener("SIGTERM", () => socket.close());
try {
  for await (const [data] of socket) {
    console.log(JSON.stringify({ message: new TextDecoder().decode(data) }));
  }
} catch {
  // closed
}
