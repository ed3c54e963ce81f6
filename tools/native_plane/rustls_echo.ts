/**
 * The default path's TLS for the interop probe: a node:tls server on Deno (rustls underneath),
 * requiring a client certificate as our listener does, echoing what it receives.
 *   deno run -A tools/native_plane/rustls_echo.ts PORT CERT KEY CA
 * Prints "listening" once ready and one JSON line per connection when it ends.
 */
import tls from "node:tls";

const [port, cert, key, ca] = Deno.args;
if (!port || !cert || !key || !ca) {
  console.error("usage: rustls_echo.ts PORT CERT KEY CA");
  Deno.exit(2);
}
const read = (path: string) => Deno.readTextFileSync(path);
const server = tls.createServer({
  cert: read(cert),
  key: read(key),
  ca: read(ca),
  requestCert: true,
  minVersion: "TLSv1.3",
}, (socket) => {
  let echoed = 0;
  socket.on("data", (chunk: Uint8Array) => {
    echoed += chunk.length;
    socket.write(chunk);
  });
  const done = (how: string) => {
    console.log(JSON.stringify({
      authorized: socket.authorized,
      cipher: socket.getCipher()?.name,
      echoed,
      ended: how,
    }));
    server.close();
  };
  socket.on("end", () => done("end"));
  socket.on("error", (error: Error) => done(`error: ${error.message}`));
});
server.listen(Number(port), "127.0.0.1", () => console.log("listening"));
