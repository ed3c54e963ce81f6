/**
 * The real transports, as main.ts hands them to the modes: the TLS listener and the TLS dialer,
 * both taking the certificate set's current material (a reload applies to new connections;
 * live ones keep theirs).
 *
 * @module
 */

import type { Endpoint } from "../config/types.ts";
import type { CertificateStore } from "../pki/certificate_store.ts";
import { type DialOptions, dialTls } from "../transport/dialer.ts";
import type { HttpProxy } from "../transport/http_proxy.ts";
import { type ListenerEvents, TlsListener } from "../transport/listener.ts";
import type { PendingLimits } from "../transport/pending.ts";
import type { SecureStream } from "../transport/secure_stream.ts";

/** What a server's transport is asked for (the shape of src/server/transport.ts). */
interface ListenLimits extends PendingLimits {
  readonly handshakeTimeoutMs: number;
}

/** A TLS listener on `endpoint`, serving the certificate set's current material. */
export function tlsServerTransport(
  endpoint: Endpoint,
  certificates: CertificateStore,
  options: {
    readonly proxyProtocol: boolean;
    /** What gives memory back once a flood at the door has passed (src/runtime/reclaim.ts). */
    readonly reclaimMemory: () => void;
  },
) {
  return {
    async listen(events: ListenerEvents, limits: ListenLimits) {
      const listener = await TlsListener.listen(endpoint, certificates.current(), events, {
        ...limits,
        // Behind a TLS passthrough front: every connection starts with a PROXY header.
        proxyProtocol: options.proxyProtocol,
        // After a flood, the memory it grew goes back to the system once the door is quiet.
        reclaimMemory: options.reclaimMemory,
      });
      // New handshakes get a reloaded certificate set; live connections keep theirs.
      const stop = certificates.onChange((material) => listener.setMaterial(material));
      return {
        endpoint: listener.endpoint,
        get accepting() {
          return listener.accepting;
        },
        lost: listener.lost,
        close: () => {
          stop();
          return listener.close();
        },
      };
    },
  };
}

/** TLS connections to servers, with the certificate set's current material. */
export function tlsClientTransport(certificates: CertificateStore, proxy: HttpProxy | undefined) {
  return {
    dial(server: Endpoint, limits: Omit<DialOptions, "proxy">) {
      return dialTls(server, certificates.current(), {
        ...limits,
        ...(proxy ? { proxy } : {}),
      }) as Promise<SecureStream>;
    },
  };
}
