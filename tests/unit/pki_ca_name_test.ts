/**
 * Every install's CA has a name of its own (finding 10: all were "CN=SSSonector CA", so "issued
 * by CN=SSSonector CA" could not tell another install's certificate from ours).
 */
import assert from "node:assert/strict";
import { generateCertificates } from "../../src/pki/generate.ts";

async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test("--generate-certs names each new CA after its own key: two installs, two names", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssc-ca-name-" });
  try {
    const names: string[] = [];
    for (const install of ["a", "b"]) {
      await generateCertificates({
        certDir: `${dir}/${install}`,
        serverIp: "198.18.0.1",
        serverNames: [],
        clientName: "client",
        days: 1,
        keyType: "ecdsa-p256",
        force: false,
      });
      const ca = `${dir}/${install}/ca.crt`;
      const subject = await openssl("x509", "-in", ca, "-noout", "-subject", "-nameopt", "RFC2253");
      const issuer = await openssl("x509", "-in", ca, "-noout", "-issuer", "-nameopt", "RFC2253");
      const match = /^subject=CN=SSSonector CA ([0-9A-F]{8})$/.exec(subject);
      assert.ok(match, subject);
      assert.equal(issuer, subject.replace("subject=", "issuer="));
      // The suffix is the start of the CA's subject key identifier.
      const text = await openssl("x509", "-in", ca, "-noout", "-ext", "subjectKeyIdentifier");
      const ski = text.split("\n")[1]!.trim().replaceAll(":", "");
      assert.equal(ski.slice(0, 8), match[1]);
      // Its certificates name it as their issuer.
      const leaf = await openssl(
        "x509",
        "-in",
        `${dir}/${install}/client.crt`,
        "-noout",
        "-issuer",
        "-nameopt",
        "RFC2253",
      );
      assert.equal(leaf, issuer);
      names.push(subject);
    }
    assert.notEqual(names[0], names[1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
