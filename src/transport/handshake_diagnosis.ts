/**
 * The server's line for a failed handshake. A TLS alert the server receives comes from the
 * client, refusing the server's certificate: the usual cause is a client whose ca_file is another
 * install's CA (rustls says UnknownCA, or DecryptError when that CA has the same name as ours, as
 * every CA made before CAs were named after their key did). The generic hints of tls_errors.ts
 * read those alerts the wrong way round ("the peer's certificate is not signed by our CA").
 *
 * @module
 */

import { errorMessage } from "../base/error_message.ts";
import { describeTlsError } from "./tls_errors.ts";

/** Alerts by which a client refuses the certificate chain the server sent. */
const REFUSED_OUR_CA = /^(UnknownCA|DecryptError|BadCertificate|CertificateUnknown)$/;

/** One line for a handshake the server could not complete with a client. */
export function describeServerHandshakeFailure(error: unknown): string {
  const raw = errorMessage(error);
  const alert = /received fatal alert: (\w+)/.exec(raw)?.[1];
  if (alert === undefined) return describeTlsError(error);
  if (REFUSED_OUR_CA.test(alert)) {
    return `the client refused this server's certificate (TLS alert ${alert}): its ` +
      "security.tls.ca_file is another CA than the one that signed ours, e.g. another " +
      "install's; give the client this server's ca.crt and a client certificate issued from it";
  }
  if (alert === "CertificateExpired") {
    return "the client refused this server's certificate as expired (TLS alert " +
      "CertificateExpired): renew it with --renew server, or check the client's clock";
  }
  return `the client ended the handshake (TLS alert ${alert}); the client's log says why`;
}
