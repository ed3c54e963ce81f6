/**
 * Shared helpers for the pki tests: the real openssl CLI, temp folders, generated cert sets, a CA
 * with several clients and the server `tls:` section of a certificate folder.
 */

import { join } from "node:path";
import type { TlsConfig, TlsVersion } from "../../src/config/types.ts";
import { generateCertificates, type GeneratedFiles } from "../../src/pki/generate.ts";
import type { KeyType } from "../../src/pki/types.ts";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real `openssl` with `args`; never throws on a non-zero exit. */
export async function openssl(args: readonly string[], stdin?: string): Promise<CommandResult> {
  const command = new Deno.Command("openssl", {
    args: [...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Run `openssl` with `args` and return its standard output; throws when it exits non-zero. */
export async function opensslOk(args: readonly string[], stdin?: string): Promise<string> {
  const result = await openssl(args, stdin);
  if (result.code !== 0) {
    throw new Error(`openssl ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

/** The settings every shared certificate set is generated with. */
export const SHARED_SET = {
  serverIp: "10.20.30.40",
  serverNames: ["vpn.example.com", "tunnel.example.org"],
  clientName: "client",
  days: 90,
} as const;

/**
 * Temp folders and certificate sets generated once per key type and shared by the tests of one
 * file (RSA-4096 key generation takes seconds). Remove everything with `dispose()`, which the
 * constructor also arranges to run when the test module unloads.
 */
export class PkiFixtures {
  #root: string | undefined;
  #sets = new Map<string, Promise<GeneratedFiles>>();
  #counter = 0;

  constructor() {
    globalThis.addEventListener("unload", () => this.dispose());
  }

  /** A new, empty folder under this fixture's temp root. */
  async tempDir(prefix = "dir"): Promise<string> {
    this.#root ??= await Deno.makeTempDir({ prefix: "sssonector_pki_" });
    const dir = join(this.#root, `${prefix}_${this.#counter++}`);
    await Deno.mkdir(dir);
    return dir;
  }

  /** A path under this fixture's temp root that does not exist yet. */
  async freshPath(prefix = "new"): Promise<string> {
    this.#root ??= await Deno.makeTempDir({ prefix: "sssonector_pki_" });
    return join(this.#root, `${prefix}_${this.#counter++}`);
  }

  /**
   * A certificate set made by generateCertificates() with {@linkcode SHARED_SET} settings, one
   * per (keyType, label); tests must not change its files.
   */
  generatedSet(keyType: KeyType, label = "main"): Promise<GeneratedFiles> {
    const id = `${keyType}/${label}`;
    let set = this.#sets.get(id);
    if (set === undefined) {
      set = this.tempDir(`${keyType}_${label}`).then((certDir) =>
        generateCertificates({ ...SHARED_SET, certDir, keyType, force: false })
      );
      this.#sets.set(id, set);
    }
    return set;
  }

  dispose(): void {
    if (this.#root === undefined) return;
    try {
      Deno.removeSync(this.#root, { recursive: true });
    } catch {
      // Already gone.
    }
    this.#root = undefined;
  }
}

/**
 * Fills `certDir` as `--generate-certs` and then `--generate-certs --client-name NAME` for each
 * further name do: a CA, a server certificate for `serverIp` and a client certificate per name.
 * Returns the files of each issue, in order.
 */
export async function issueCaWithClients(
  certDir: string,
  serverIp: string,
  clientNames: readonly [string, ...string[]],
  options: {
    /** @default "ecdsa-p256" */
    readonly keyType?: KeyType;
    /** How long the server and client certificates are valid. @default 30 */
    readonly days?: number;
  } = {},
): Promise<GeneratedFiles[]> {
  const { keyType = "ecdsa-p256", days = 30 } = options;
  const base = { certDir, serverNames: [], days, keyType, force: false } as const;
  const [first, ...others] = clientNames;
  const issued = [await generateCertificates({ ...base, serverIp, clientName: first })];
  for (const clientName of others) issued.push(await generateCertificates({ ...base, clientName }));
  return issued;
}

/**
 * The `tls:` section of a server whose certificate, key and CA are server.crt, server.key and
 * ca.crt in `certDir`, as `--generate-certs` writes them; a revocation list only when `crlFile`
 * is given.
 */
export function serverTlsConfig(
  certDir: string,
  options: { readonly minVersion: TlsVersion; readonly crlFile?: string },
): TlsConfig {
  return {
    enabled: true,
    minVersion: options.minVersion,
    certFile: join(certDir, "server.crt"),
    keyFile: join(certDir, "server.key"),
    caFile: join(certDir, "ca.crt"),
    ...(options.crlFile === undefined ? {} : { crlFile: options.crlFile }),
  };
}

/** Read a file as text. */
export function readText(path: string): Promise<string> {
  return Deno.readTextFile(path);
}

/** Files of a certificate set made with the openssl CLI alone. */
export interface OpensslSet {
  readonly caCertFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
}

/**
 * Make, with the openssl CLI only, an ECDSA P-256 CA (valid `caDays`) and an RSA-2048 server
 * certificate it signed (serverAuth, SAN IP 10.9.9.9). Keys are PKCS#8, as OpenSSL 3 writes them.
 */
export async function makeOpensslSet(dir: string, caDays = 30): Promise<OpensslSet> {
  const f = (name: string) => join(dir, name);
  await opensslOk([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.crt"),
    "-days",
    String(caDays),
    "-subj",
    "/CN=OpenSSL Test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await opensslOk([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("server.key"),
    "-out",
    f("server.csr"),
    "-subj",
    "/CN=10.9.9.9",
  ]);
  await Deno.writeTextFile(
    f("server.ext"),
    "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
      "extendedKeyUsage=serverAuth\nsubjectAltName=IP:10.9.9.9\n",
  );
  await opensslOk([
    "x509",
    "-req",
    "-in",
    f("server.csr"),
    "-CA",
    f("ca.crt"),
    "-CAkey",
    f("ca.key"),
    "-set_serial",
    "0x1234567890abcdef",
    "-days",
    "7",
    "-extfile",
    f("server.ext"),
    "-out",
    f("server.crt"),
  ]);
  return {
    caCertFile: f("ca.crt"),
    caKeyFile: f("ca.key"),
    serverCertFile: f("server.crt"),
    serverKeyFile: f("server.key"),
  };
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/**
 * Run `sssonector ARGS` (src/main.ts with the permission set of deno.json) and collect its
 * exit code and output; never throws on a non-zero exit.
 */
export async function runSssonector(args: readonly string[]): Promise<CommandResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--frozen", "--quiet", "-P", "--config", CONFIG, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
