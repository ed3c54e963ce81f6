/** PEM (RFC 7468) text encoding of DER structures: certificates, private keys, bundles. */

/** One `-----BEGIN <label>-----` ... `-----END <label>-----` block of a PEM text. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `PRIVATE KEY`. */
  readonly label: string;
  /** The decoded DER bytes. */
  readonly der: Uint8Array;
}

const LINE_LENGTH = 64;
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Encode DER bytes as one PEM block with 64-character base64 lines and a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = bytesToBase64(der);
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += LINE_LENGTH) {
    lines.push(base64.slice(i, i + LINE_LENGTH));
  }
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Decode every PEM block of `text`, in order; text between blocks (comments, `openssl x509 -text`
 * output) is ignored. Returns an empty list when there is no block.
 *
 * @throws {SyntaxError} When a block's END label does not match its BEGIN label or its body is
 * not base64.
 */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [, label = "", body = "", endLabel = ""] = match;
    if (label !== endLabel) {
      throw new SyntaxError(`PEM block "${label}" ends with a different label: "${endLabel}"`);
    }
    const compact = body.replace(/\s+/g, "");
    if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
      throw new SyntaxError(`PEM block "${label}" does not hold valid base64`);
    }
    blocks.push({ label, der: base64ToBytes(compact) });
  }
  return blocks;
}

/**
 * The DER bytes of every `CERTIFICATE` block of a PEM bundle, in order (other blocks are skipped).
 *
 * @throws {SyntaxError} As {@linkcode decodePem}.
 */
export function decodePemCertificates(text: string): Uint8Array[] {
  return decodePem(text).filter((b) => b.label === "CERTIFICATE").map((b) => b.der);
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
