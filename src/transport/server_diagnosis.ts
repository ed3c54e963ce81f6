/**
 * Why the client refuses a server certificate, found by examining the certificate ourselves:
 * node:tls in Deno reports a missing serverAuth, an expiry and an unknown CA alike ("unable to
 * verify the first certificate"), so its message cannot be passed on as the cause.
 *
 * @module
 */

import tls from "node:tls";
import type * as pkijs from "pkijs";
import type { Endpoint } from "../config/types.ts";
import { signerOf, usageProblems, validityProblem } from "../pki/checks.ts";
import { nameToString, parseCertificate, subjectAltNames } from "../pki/x509.ts";
import { decodePemCertificates } from "../pki/pem.ts";
import type { TlsMaterial } from "../pki/material.ts";
import { clientTlsOptions } from "./tls_options.ts";

/** True when `pattern` (a SAN DNS name, maybe `*.example.com`) covers `host`. */
function dnsMatches(pattern: string, host: string): boolean {
  const [p, h] = [pattern.toLowerCase().replace(/\.$/, ""), host.toLowerCase().replace(/\.$/, "")];
  if (p === h) return true;
  if (!p.startsWith("*.")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

function namesHost(cert: pkijs.Certificate, host: string): { ok: boolean; names: string[] } {
  const names = subjectAltNames(cert);
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(":");
  const ok = names.some((name) =>
    isIp
      ? name.toLowerCase() === `ip:${host.toLowerCase()}`
      : name.startsWith("DNS:") && dnsMatches(name.slice(4), host)
  );
  return { ok, names };
}

/**
 * The real reason the server certificate `der` is not acceptable for dialling `host` with our
 * CA file `caPem`, as one line starting "the server certificate", or undefined when it looks
 * acceptable (the TLS layer's own message is then the best there is).
 */
export async function diagnoseServerCertificate(
  der: Uint8Array,
  caPem: string,
  host: string,
  now: Date = new Date(),
): Promise<string | undefined> {
  let cert: pkijs.Certificate;
  try {
    cert = parseCertificate(der);
  } catch {
    return "the server certificate cannot be parsed as X.509";
  }
  const who = `the server certificate (${nameToString(cert.subject)})`;
  const cas: pkijs.Certificate[] = [];
  for (const caDer of decodePemCertificates(caPem)) {
    try {
      cas.push(parseCertificate(caDer));
    } catch { /* the store checked the CA file at load */ }
  }
  if (await signerOf(cert, cas) === undefined) {
    return `${who} is not signed by our CA: it was issued by ${nameToString(cert.issuer)} ` +
      "(check security.tls.ca_file on both sides)";
  }
  const validity = validityProblem(cert, now);
  if (validity !== undefined) {
    const advice = validity.startsWith("expired")
      ? "renew it with --renew server"
      : "check the clocks of both hosts";
    return `${who} ${validity}; ${advice}`;
  }
  const usage = usageProblems(cert, "server");
  if (usage.length > 0) {
    return `${who} is refused: ${usage.join("; ")} (issue it with --generate-certs or --renew)`;
  }
  const named = namesHost(cert, host);
  if (!named.ok) {
    const has = named.names.length === 0 ? "no subjectAltName" : named.names.join(", ");
    return `the server certificate does not name the address dialled: ${host} is not among ` +
      `its names (${has}); regenerate it with --server-ip or --server-name`;
  }
  return undefined;
}

/**
 * The server's certificate (DER), fetched with a second connection that verifies nothing, for
 * diagnosis only: nothing is sent on it and it is closed at once. Undefined when none comes.
 */
export function fetchServerCertificate(
  server: Endpoint,
  material: TlsMaterial,
  timeoutMs = 3000,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      ...clientTlsOptions(material, server),
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    const done = (der: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(der);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate(true)?.raw;
      done(raw ? new Uint8Array(raw) : undefined);
    });
    socket.once("error", () => done(undefined));
  });
}
