import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { MAX_PEER_CERTIFICATE_BYTES, oversizeCertificate } from "../pki/limits.ts";

const EKU_OID = "2.5.29.37";
const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";

/** Short names of the causes, as counters and metrics label them. */
export type RefusalKind =
  | "no certificate"
  | "unparseable"
  | "oversize"
  | "not yet valid"
  | "expired"
  | "wrong purpose"
  | "other CA";

export interface ClientRefusal {
  readonly kind: RefusalKind;
  /** One line for both logs. */
  readonly message: string;
}

/**
 * Why the server's TLS layer did not authorize a client certificate. node:tls in Deno reports
 * one code for several causes, so the certificate itself is examined. `der` is the client's
 * certificate, undefined when it presented none.
 */
export function classifyClientRefusal(
  der: Uint8Array<ArrayBuffer> | undefined,
  now = new Date(),
): ClientRefusal {
  if (der === undefined || der.length === 0) {
    return { kind: "no certificate", message: "the client presented no certificate" };
  }
  if (der.length > MAX_PEER_CERTIFICATE_BYTES) {
    return { kind: "oversize", message: oversizeCertificate(der.length) };
  }
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(der);
  } catch {
    return { kind: "unparseable", message: "the client certificate cannot be parsed" };
  }
  const name = subjectName(cert);
  const notBefore = cert.notBefore.value;
  const notAfter = cert.notAfter.value;
  if (now < notBefore) {
    return {
      kind: "not yet valid",
      message: `certificate ${name} is not valid before ${notBefore.toISOString()}`,
    };
  }
  if (now > notAfter) {
    return { kind: "expired", message: `certificate ${name} expired on ${notAfter.toISOString()}` };
  }
  const eku = cert.extensions?.find((extension) => extension.extnID === EKU_OID);
  if (eku) {
    const parsed = eku.parsedValue as pkijs.ExtKeyUsage | undefined;
    if (parsed && !parsed.keyPurposes.includes(CLIENT_AUTH_OID)) {
      return {
        kind: "wrong purpose",
        message:
          `certificate ${name} is not for client authentication (its extended key usage lacks clientAuth)`,
      };
    }
  }
  const issuer = commonName(cert.issuer);
  return {
    kind: "other CA",
    message: `certificate ${name} is not signed by our CA: it was issued by ${issuer}, e.g. ` +
      "another install's; issue the client one from this server's CA (--generate-certs " +
      "--client-name NAME)",
  };
}

/** The one-line reason of {@linkcode classifyClientRefusal}. */
export function explainClientRefusal(
  der: Uint8Array<ArrayBuffer> | undefined,
  now = new Date(),
): string {
  return classifyClientRefusal(der, now).message;
}

function subjectName(cert: pkijs.Certificate): string {
  return commonName(cert.subject);
}

function commonName(name: pkijs.RelativeDistinguishedNames): string {
  const cn = name.typesAndValues.find((tv) => tv.type === "2.5.4.3");
  const value = cn?.value as asn1js.BaseStringBlock | undefined;
  return value?.valueBlock.value ? `CN=${value.valueBlock.value}` : "(no common name)";
}
