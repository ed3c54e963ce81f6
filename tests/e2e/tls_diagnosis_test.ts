/**
 * The client says why it refuses a server: an `openssl s_server` in the server namespace presents
 * certificates made with `openssl ca` (wrong purpose, expired, not yet valid, another CA, another
 * name), and a real client started through the launcher must name the real cause, which node:tls
 * alone reports as one generic "unable to verify" for most of them. Needs root; skipped otherwise.
 */
import assert from "node:assert/strict";
import { runOk } from "../../tools/lab/netns_lab.ts";
import { E2eLab, TUNNEL_PORT } from "../lib/e2e_lab.ts";

interface Issue {
  readonly name: string;
  readonly eku?: string;
  readonly san?: string;
  readonly start?: string;
  readonly end?: string;
  /** Folder with the signing ca.crt/ca.key. @default the lab's CA */
  readonly caDir?: string;
}

/** Signs NAME.crt/NAME.key with `openssl ca`, which can set any start and end date. */
async function issue(lab: E2eLab, options: Issue): Promise<{ cert: string; key: string }> {
  const dir = `${lab.dir}/ossl-${options.name}`;
  await Deno.mkdir(dir);
  const caDir = options.caDir ?? lab.certDir;
  await Deno.writeTextFile(`${dir}/index.txt`, "");
  await Deno.writeTextFile(`${dir}/serial`, `${Date.now().toString(16).padStart(16, "0")}\n`);
  await Deno.writeTextFile(
    `${dir}/ca.cnf`,
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\n` +
      `serial = ${dir}/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n` +
      "[p]\ncommonName = supplied\n[ext]\nbasicConstraints = critical, CA:FALSE\n" +
      "keyUsage = critical, digitalSignature\n" +
      `extendedKeyUsage = ${options.eku ?? "serverAuth"}\n` +
      `subjectAltName = ${options.san ?? `IP:${lab.server.ip}`}\n`,
  );
  const key = `${dir}/server.key`, cert = `${dir}/server.crt`;
  await runOk("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-subj",
    `/CN=${options.name}`,
    "-keyout",
    key,
    "-out",
    `${dir}/server.csr`,
  ]);
  await runOk("openssl", [
    "ca",
    "-batch",
    "-config",
    `${dir}/ca.cnf`,
    "-cert",
    `${caDir}/ca.crt`,
    "-keyfile",
    `${caDir}/ca.key`,
    "-in",
    `${dir}/server.csr`,
    "-out",
    cert,
    "-extensions",
    "ext",
    "-notext",
    ...(options.start ? ["-startdate", options.start] : []),
    ...(options.end ? ["-enddate", options.end] : ["-days", "1"]),
  ]);
  return { cert, key };
}

/** `openssl s_server` in the server namespace; its stdin stays open, or it quits early. */
async function withOpensslServer<T>(
  lab: E2eLab,
  files: { cert: string; key: string },
  fn: () => Promise<T>,
): Promise<T> {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      lab.server.ns,
      "openssl",
      "s_server",
      "-accept",
      `${lab.server.ip}:${TUNNEL_PORT}`,
      "-cert",
      files.cert,
      "-key",
      files.key,
      "-CAfile",
      `${lab.certDir}/ca.crt`,
    ],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // Listening once a TCP connection is accepted.
    for (let i = 0; i < 50; i++) {
      const probe = await lab.net.try(lab.client, "bash", [
        "-c",
        `exec 3<>/dev/tcp/${lab.server.ip}/${TUNNEL_PORT}`,
      ]);
      if (probe.code === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await fn();
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await child.stdin.close().catch(() => {});
  }
}

Deno.test({
  name: "the client names the real cause when it refuses a server certificate made by openssl",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using lab = await E2eLab.create("diag");
    const otherDir = `${lab.dir}/otherca`;
    await Deno.mkdir(otherDir);
    await runOk("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${otherDir}/ca.key`,
      "-out",
      `${otherDir}/ca.crt`,
      "-days",
      "2",
      "-subj",
      "/CN=Other CA",
    ]);
    const cases: Array<[Issue, RegExp]> = [
      [
        { name: "clientonly", eku: "clientAuth" },
        /the server certificate \(CN=clientonly\) is refused: certificate cannot be used as a TLS server: its extendedKeyUsage lacks serverAuth/,
      ],
      [
        { name: "old", start: "20200101000000Z", end: "20200102000000Z" },
        /the server certificate \(CN=old\) expired on 2020-01-02T00:00:00Z \(now .*\); renew it/,
      ],
      [
        { name: "future", start: "20990101000000Z", end: "20990102000000Z" },
        /the server certificate \(CN=future\) is not yet valid: valid from 2099-01-01T00:00:00Z .*check the clocks/,
      ],
      [
        { name: "stranger", caDir: otherDir },
        /the server certificate \(CN=stranger\) was issued by CN=Other CA, not by our CA \(CN=SSSonector CA [0-9A-F]{8}\): the server belongs to another install; use its ca\.crt/,
      ],
      [
        { name: "elsewhere", san: "IP:198.18.0.99, DNS:vpn.example.com" },
        /the server certificate does not name the address dialled: 198\.18\.0\.1 is not among its names \(IP:198\.18\.0\.99, DNS:vpn\.example\.com\)/,
      ],
    ];
    const configs = await lab.configs();
    const seen: string[] = [];
    for (const [options, expected] of cases) {
      const files = await issue(lab, options);
      const line = await withOpensslServer(lab, files, async () => {
        await Deno.writeTextFile(configs.clientLog, "");
        const client = lab.start(lab.client, configs.clientConfig, configs.clientLog);
        try {
          return await client.waitForLog(/WARN .*cannot connect to .*/);
        } finally {
          await client.stop(3000);
        }
      });
      seen.push(`${options.name}: ${line}`);
      assert.match(line, expected, `${options.name}`);
    }
    console.log(seen.join("\n"));
  },
});
