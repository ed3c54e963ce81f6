/** Turns TLS and socket failures into one line an operator can act on. */
import { errorMessage } from "../base/error_message.ts";

/**
 * Our server's answer to a newcomer it turns away at a pending-connection cap: a plaintext fatal
 * internal_error alert before any TLS (src/transport/listener.ts, CAP_ALERT).
 */
const CAP_REFUSAL = /InternalError|ALERT_INTERNAL_ERROR/;
const CAP_HINT = "the server turned us away at a connection cap (too many connections waiting " +
  "from this address or its network); retrying soon";

/** True when `line` (describeTlsError's) says the server turned us away at a cap. */
export function isCapRefusal(line: string): boolean {
  return line.includes(CAP_HINT);
}

const HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /UnknownIssuer|unable to verify|self.signed|UNABLE_TO_VERIFY|unknown ca|UnknownCA/i,
    "the peer's certificate is not signed by our CA (check security.tls.ca_file on both sides)",
  ],
  [
    /NotValidForName|ALTNAME|hostname|IP address mismatch|does not match/i,
    "the server certificate does not name the address dialled (regenerate it with --server-ip)",
  ],
  [/Expired|CERT_HAS_EXPIRED|expired/i, "a certificate has expired"],
  [/NotValidYet|CERT_NOT_YET_VALID/i, "a certificate is not valid yet (check the clocks)"],
  [
    /InvalidPurpose|ExtendedKeyUsage|unsupported certificate purpose|EKU/i,
    "a certificate is used for the wrong purpose (server vs client EKU)",
  ],
  [
    /NoCertificatesPresented|peer sent no certificates|certificate required|CertificateRequired/i,
    "the client presented no certificate",
  ],
  [
    // rustls's words for a TLS 1.0/1.1 ClientHello, which has no signature_algorithms extension.
    /SignatureAlgorithmsExtensionRequired/,
    "the peer offered only TLS 1.1 or older; SSSonector speaks TLS 1.2 and 1.3",
  ],
  [
    /protocol version|ProtocolVersion|PeerIncompatible|peer is incompatible|unsupported protocol/i,
    "no TLS version both sides allow (check security.tls.min_version)",
  ],
  [CAP_REFUSAL, CAP_HINT],
  [/ECONNREFUSED|Connection refused/i, "connection refused (is the server running and listening?)"],
  [/ETIMEDOUT|timed out/i, "timed out"],
  [/EHOSTUNREACH|ENETUNREACH|No route/i, "no route to the server"],
  [
    /ECONNRESET|reset by peer|BadRecordMac|UnexpectedEof|unexpected eof|socket hang up/i,
    "the peer closed the connection (it may have refused our certificate)",
  ],
];

/** One line: the hint where one applies, then the underlying message in parentheses. */
export function describeTlsError(error: unknown): string {
  const raw = errorMessage(error);
  const code = (error as { code?: unknown })?.code;
  const text = typeof code === "string" && !raw.includes(code) ? `${raw} [${code}]` : raw;
  const firstLine = text.split("\n")[0]!.trim();
  for (const [pattern, hint] of HINTS) {
    if (pattern.test(text)) return `${hint} (${firstLine})`;
  }
  return firstLine;
}

/** A connection reset or ended without a TLS alert. */
const DROPPED = /ECONNRESET|reset by peer|UnexpectedEof|unexpected eof|socket hang up|EPIPE/i;

/**
 * One line for a dial that failed before the TLS handshake finished. Our server never ends a
 * handshake over a client certificate (node:tls completes it and the session refuses with a Close
 * frame), so a connection dropped without an alert at that point was closed by the server's door:
 * its pending places were full (a newcomer displaced us, or the alerts it sends were all in
 * flight), or the handshake missed its deadline; or the port is not an SSSonector server.
 */
export function describeDialFailure(error: unknown): string {
  const message = errorMessage(error).split("\n")[0]!.trim();
  const code = (error as { code?: unknown })?.code;
  const raw = typeof code === "string" && !message.includes(code)
    ? `${message} [${code}]`
    : message;
  if (!DROPPED.test(raw) || CAP_REFUSAL.test(raw)) return describeTlsError(error);
  return "the server closed the connection before the TLS handshake finished: its door was " +
    `full of pending connections, or the port is not an SSSonector server (${raw})`;
}
