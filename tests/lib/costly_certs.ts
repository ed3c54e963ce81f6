/**
 * Client certificates made to be expensive to verify, built with real openssl from a lab's CA
 * (ca.crt, ca.key): a chain of many intermediates, a 16384-bit RSA key, thousands of names, a
 * certificate near (or past) the 64 KiB a TLS handshake message can carry. Each is a folder
 * entry the attacker presents with `openssl s_client -cert -cert_chain -key`.
 */
import { join } from "node:path";

export interface CostlyCertificate {
  readonly name: string;
  readonly cert: string;
  readonly key: string;
  /** The intermediates the client sends after its certificate (PEM), when any. */
  readonly chain?: string;
  /** Bytes of the certificate (DER) and of the chain sent. */
  readonly certBytes: number;
  readonly chainBytes: number;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!result.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(result.stderr)}`);
  }
}

async function derBytes(pem: string, cwd: string): Promise<number> {
  const out = await new Deno.Command("openssl", {
    args: ["x509", "-in", pem, "-outform", "DER"],
    cwd,
    stdout: "piped",
  }).output();
  return out.stdout.length;
}

const LEAF_EXT = "basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n" +
  "extendedKeyUsage = clientAuth\n";
const CA_EXT = "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n";

/** Signs `name`'s key (made with `keyArgs`) as `subject` by `issuer`, with `ext`. */
async function issue(
  dir: string,
  name: string,
  issuer: { cert: string; key: string },
  ext: string,
  keyArgs: string[] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
): Promise<{ cert: string; key: string }> {
  const extFile = join(dir, `${name}.ext`);
  await Deno.writeTextFile(extFile, ext);
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl([
    "req",
    "-new",
    ...keyArgs,
    "-nodes",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    key,
    "-out",
    join(dir, `${name}.csr`),
  ], dir);
  await openssl([
    "x509",
    "-req",
    "-in",
    join(dir, `${name}.csr`),
    "-CA",
    issuer.cert,
    "-CAkey",
    issuer.key,
    "-set_serial",
    String(Math.floor(Math.random() * 1e12)),
    "-days",
    "1",
    "-extfile",
    extFile,
    "-out",
    cert,
  ], dir);
  return { cert, key };
}

/** A self-signed client certificate with `ext` (no CA of ours involved). */
async function selfSigned(
  dir: string,
  name: string,
  ext: string,
): Promise<{ cert: string; key: string }> {
  const config = join(dir, `${name}.cnf`);
  await Deno.writeTextFile(
    config,
    `[req]\ndistinguished_name = dn\n[dn]\n[ext]\n${LEAF_EXT}${ext}`,
  );
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  await openssl([
    ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"],
    ...["-subj", `/CN=${name}`, "-days", "1", "-config", config, "-extensions", "ext"],
    ...["-keyout", key, "-out", cert],
  ], dir);
  return { cert, key };
}

function sans(count: number, label: (i: number) => string): string {
  return `subjectAltName = ${
    Array.from({ length: count }, (_, i) => `DNS:${label(i)}`).join(",")
  }\n`;
}

/** The costly certificates, issued by the CA in `certDir`, written into `dir`. */
export async function costlyCertificates(
  certDir: string,
  dir: string,
): Promise<CostlyCertificate[]> {
  await Deno.mkdir(dir, { recursive: true });
  const ca = { cert: join(certDir, "ca.crt"), key: join(certDir, "ca.key") };
  const out: CostlyCertificate[] = [];
  const add = async (name: string, made: { cert: string; key: string }, chain?: string[]) => {
    const chainFile = chain ? join(dir, `${name}.chain.pem`) : undefined;
    let chainBytes = 0;
    if (chain && chainFile) {
      const pems = await Promise.all(chain.map((file) => Deno.readTextFile(file)));
      await Deno.writeTextFile(chainFile, pems.join(""));
      for (const file of chain) chainBytes += await derBytes(file, dir);
    }
    out.push({
      name,
      ...made,
      ...(chainFile ? { chain: chainFile } : {}),
      certBytes: await derBytes(made.cert, dir),
      chainBytes,
    });
  };
  // 16384-bit RSA: five primes, so openssl makes it in seconds rather than minutes. Started
  // first; the others are made meanwhile.
  const rsa = issue(dir, "rsa16384", ca, LEAF_EXT, [
    "-newkey",
    "rsa",
    "-pkeyopt",
    "rsa_keygen_bits:16384",
    "-pkeyopt",
    "rsa_keygen_primes:5",
  ]);
  // 50 intermediates, each signed by the one before; the leaf by the last.
  let issuer = ca;
  const intermediates: string[] = [];
  for (let i = 1; i <= 50; i++) {
    issuer = await issue(dir, `int${i}`, issuer, CA_EXT);
    intermediates.unshift(issuer.cert);
  }
  await add("chain50", await issue(dir, "chain50", issuer, LEAF_EXT), intermediates);
  await add(
    "sans3000",
    await issue(dir, "sans3000", ca, LEAF_EXT + sans(3000, (i) => `n${i}.x`)),
  );
  // About 51 KiB: well inside what one Certificate message can carry.
  await add(
    "huge51k",
    await issue(dir, "huge51k", ca, LEAF_EXT + sans(2000, (i) => `host-${i}.attack.example`)),
  );
  // Past 64 KiB: no TLS handshake message can carry it.
  await add(
    "over64k",
    await issue(dir, "over64k", ca, LEAF_EXT + sans(2700, (i) => `host-${i}.attack.example`)),
  );
  // What a stranger can make without our CA: 3000 names, self-signed.
  await add("stranger3000", await selfSigned(dir, "stranger3000", sans(3000, (i) => `n${i}.x`)));
  await add("rsa16384", await rsa);
  return out;
}
