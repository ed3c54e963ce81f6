/**
 * The server beside a web server on port 443: a real nginx (Debian's, with the stream module)
 * listens on 443 and routes by ALPN with ssl_preread, passing TLS through untouched: SSSonector's
 * clients to the tunnel server on 127.0.0.1:8443, everything else to a web server. nginx opens
 * each connection with a PROXY protocol header (nginx sends version 1; HAProxy can send 2, and the
 * server reads both), which the server reads because it is
 * configured to (proxy_protocol: true), so it logs the client's own address. A connection
 * without the header is then refused, and a server not configured for it never reads one.
 */
import assert from "node:assert/strict";
import { E2eLab, SERVER_TUNNEL_IP, TUNNEL_PORT } from "../lib/e2e_lab.ts";
import { ALPN_PROTOCOL } from "../../src/transport/tls_options.ts";
import { pollUntil } from "../lib/poll.ts";

const BACKEND = "127.0.0.1:8443";
const WEB = "127.0.0.1:8444";

async function startNginx(lab: E2eLab): Promise<Deno.ChildProcess> {
  const dir = `${lab.dir}/nginx`;
  await Deno.mkdir(dir, { recursive: true });
  const alpn = ALPN_PROTOCOL.replaceAll(".", "\\.").replaceAll("/", "\\/");
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `load_module /usr/lib/nginx/modules/ngx_stream_module.so;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
stream {
  map $ssl_preread_alpn_protocols $backend {
    ~(^|,)${alpn}(,|$) ${BACKEND};
    default ${WEB};
  }
  server {
    listen ${lab.server.ip}:${TUNNEL_PORT};
    ssl_preread on;
    proxy_pass $backend;
    proxy_protocol on;
  }
}
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen ${WEB} ssl proxy_protocol;
    ssl_certificate ${lab.certDir}/server.crt;
    ssl_certificate_key ${lab.certDir}/server.key;
    location / { return 200 "web for $proxy_protocol_addr\\n"; }
  }
}
`,
  );
  const nginx = lab.net.spawn(
    lab.server,
    "nginx",
    ["-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"],
    { stderr: "piped" },
  );
  await pollUntil(async () => {
    const ss = await lab.net.try(lab.server, "ss", ["-Hltn", `sport = :${TUNNEL_PORT}`]);
    return ss.stdout.trim() !== "";
  }, "nginx listens on 443");
  return nginx;
}

Deno.test({
  name: "the server behind nginx ssl_preread on 443 beside a web server knows each client's " +
    "address from the PROXY protocol, and refuses connections without it",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("front");
    const nginx = await startNginx(lab);
    try {
      const configs = await lab.configs({ serverExtra: "proxy_protocol: true\n" });
      const text = await Deno.readTextFile(configs.serverConfig);
      await Deno.writeTextFile(
        configs.serverConfig,
        text.replace(`listen: ${lab.server.ip}:${TUNNEL_PORT}`, `listen: ${BACKEND}`),
      );
      const server = await lab.startServer(configs);
      // A browser's TLS goes to the web server, which learns the address the same way.
      const web = await lab.net.exec(lab.client, "curl", [
        ...["-sk", "--max-time", "5", `https://${lab.server.ip}/`],
      ]);
      assert.equal(web, `web for ${lab.client.ip}\n`);

      const client = await lab.startClient(configs).catch(async (error) => {
        const nginxLog = await Deno.readTextFile(`${lab.dir}/nginx/error.log`).catch(() => "");
        throw new Error(`${error}\nserver log:\n${await server.log()}\nnginx:\n${nginxLog}`);
      });
      await lab.waitForPing(lab.client, SERVER_TUNNEL_IP);
      await server.waitForLog(
        new RegExp(`client ${lab.client.ip.replaceAll(".", "\\.")}:\\d+ authenticated as client`),
      );
      await client.stop();

      // Straight to the backend, without the front's header: refused, and said why.
      await lab.net.try(lab.server, "openssl", [
        ...["s_client", "-connect", BACKEND, "-alpn", ALPN_PROTOCOL],
      ], { stdin: "" });
      await server.waitForLog(/no PROXY protocol header, though proxy_protocol is on/);
      await server.stop();

      // A server not configured for it never reads a header: nginx's is garbage to its TLS.
      const plain = await lab.configs();
      const plainText = await Deno.readTextFile(plain.serverConfig);
      await Deno.writeTextFile(
        plain.serverConfig,
        plainText.replace(`listen: ${lab.server.ip}:${TUNNEL_PORT}`, `listen: ${BACKEND}`),
      );
      const unaware = await lab.startServer(plain);
      const refused = lab.start(lab.client, plain.clientConfig, plain.clientLog);
      await unaware.waitForLog(/TLS handshake with 127\.0\.0\.1:\d+ failed/);
      assert.doesNotMatch(await unaware.log(), /authenticated as client/);
      await refused.stop();
      await unaware.stop();
    } finally {
      await lab.net.stop(nginx, 3000);
    }
  },
});
