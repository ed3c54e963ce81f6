import type { Logger } from "@logtape/logtape";
import type { ServerConfig } from "../config/types.ts";
import { CloseCode, encodeClose, Feature } from "../frame/control.ts";
import { formatIpv4, parseCidr, parseIpv4 } from "../ip/ipv4.ts";
import { RouteTable } from "../routing/route_table.ts";
import { TunReader } from "../routing/tun_reader.ts";
import { helloFor, keepaliveFrom } from "../session/hello.ts";
import {
  type Admission,
  type KeepaliveOptions,
  Session,
  SessionRefusal,
} from "../session/session.ts";
import { TlsListener } from "../transport/listener.ts";
import { CertificateStore } from "../pki/certificate_store.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import type { TunDevice } from "../tun/device.ts";
import { openTunFor } from "../tun/from_config.ts";

export interface TunnelServerOptions {
  readonly keepalive?: KeepaliveOptions;
  /** The certificate set; loaded from config.security.tls when absent. */
  readonly certificates?: CertificateStore;
}

/**
 * Server mode: one TUN device, one TLS listener, a session per client. Packets from the TUN go to
 * the session that owns their destination; packets from a client must carry its own tunnel
 * address as source (anti-spoofing) before they reach the TUN.
 */
export class TunnelServer {
  readonly config: ServerConfig;
  #log: Logger;
  #tun: TunDevice;
  #listener!: TlsListener;
  #routes: RouteTable<Session>;
  #reader: TunReader;
  #sessions = new Set<Session>();
  #options: TunnelServerOptions;
  #stopCertificateUpdates = () => {};
  #certificates!: CertificateStore;

  private constructor(
    config: ServerConfig,
    logger: Logger,
    tun: TunDevice,
    options: TunnelServerOptions,
  ) {
    this.config = config;
    this.#log = logger;
    this.#tun = tun;
    this.#options = options;
    this.#routes = new RouteTable(parseIpv4(config.address.ip), config.address.prefixLength);
    this.#reader = new TunReader(tun, (destination) => {
      const session = this.#routes.lookup(destination);
      return session?.state === "open" ? session : undefined;
    }, logger.getChild("tun"));
  }

  static async start(config: ServerConfig, logger: Logger, options: TunnelServerOptions = {}) {
    const certificates = options.certificates ??
      await CertificateStore.load(config.security.tls, "server");
    const tun = openTunFor(config);
    const server = new TunnelServer(config, logger, tun, options);
    server.#certificates = certificates;
    try {
      server.#listener = await TlsListener.listen(config.listen, certificates.current(), {
        onStream: (stream) => server.#accept(stream),
        onHandshakeFailure: (peer, reason) =>
          logger.warn("TLS handshake with {peer} failed: {reason}", { peer, reason }),
      });
    } catch (error) {
      tun.close();
      throw error;
    }
    // New handshakes get a reloaded certificate set; live connections keep theirs.
    server.#stopCertificateUpdates = certificates.onChange((m) => {
      server.#listener.setMaterial(m);
      // A revocation takes effect at once: sessions of certificates the new CRL lists end.
      for (const session of server.#sessions) {
        if (certificates.isRevoked(session.stream.info.peerSerial)) {
          session.close(CloseCode.CertificateRefused, "certificate refused: it is revoked");
        }
      }
    });
    server.#reader.start();
    logger.info("listening on {host}:{port}; tunnel {interface} {address}/{prefix} mtu {mtu}", {
      host: config.listen.host,
      port: server.#listener.endpoint.port,
      interface: tun.name,
      address: config.address.ip,
      prefix: config.address.prefixLength,
      mtu: config.network.mtu,
    });
    return server;
  }

  /** The bound port (useful when the config asks for port 0). */
  get port(): number {
    return this.#listener.endpoint.port;
  }

  /** Open sessions, for status reports. */
  sessions(): Session[] {
    return [...this.#sessions];
  }

  #accept(stream: SecureStream): void {
    const { info } = stream;
    const log = this.#log.getChild("session");
    // node:tls does not apply CRLs; the current one is checked here, before any session.
    if (this.#certificates.isRevoked(info.peerSerial)) {
      log.warn("client {peer} ({name}) refused: its certificate {serial} is revoked", {
        peer: info.remote,
        name: info.peerName,
        serial: info.peerSerial,
      });
      const message = "certificate refused: it is revoked";
      stream.write(encodeClose({ code: CloseCode.CertificateRefused, message }))
        .then(() => stream.end());
      return;
    }
    log.info("client {peer} authenticated as {name} ({protocol}, {cipher})", {
      peer: info.remote,
      name: info.peerName,
      protocol: info.protocol,
      cipher: info.cipher,
    });
    let address = 0;
    const session: Session = new Session({
      role: "server",
      stream,
      hello: helloFor(this.config, this.#tun.offload ? [Feature.Gso] : []),
      logger: log,
      keepalive: this.#options.keepalive ?? keepaliveFrom(this.config),
      admit: (peer) => {
        address = this.#admit(peer.address, session, info.peerName, info.peerFingerprint);
        if (peer.mtu !== this.config.network.mtu) {
          log.warn(
            "client {name} uses mtu {theirs}, the server {ours}; packets above the smaller are lost",
            {
              name: info.peerName,
              theirs: peer.mtu,
              ours: this.config.network.mtu,
            },
          );
        }
        return { allowedSource: address, writer: this.#tun } satisfies Admission;
      },
    });
    this.#sessions.add(session);
    session.opened.then(() => {
      log.info("client {name} ({peer}) is {address}; offloads {offload}", {
        name: info.peerName,
        peer: info.remote,
        address: formatIpv4(address),
        offload: session.acceptsGso ? "on" : "off",
      });
    }, () => {});
    session.ended.then((end) => {
      this.#sessions.delete(session);
      if (address !== 0) this.#routes.remove(address, session);
      log.info("client {name} ({peer}) disconnected: {reason}", {
        name: info.peerName,
        peer: info.remote,
        reason: end.message,
      });
    });
  }

  /** Checks the address a client claims and routes it to the session; returns it. */
  #admit(claimed: string, session: Session, name: string, fingerprint: string): number {
    let address: number;
    try {
      address = parseCidr(claimed).address;
    } catch {
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `tunnel address "${claimed}" is not IPv4/prefix`,
      );
    }
    const refusal = this.#routes.refuse(address);
    if (refusal) throw new SessionRefusal(CloseCode.AddressRejected, refusal);
    const holder = this.#routes.lookup(address);
    if (holder && holder !== session) {
      if (holder.stream.info.peerFingerprint !== fingerprint) {
        throw new SessionRefusal(
          CloseCode.AddressInUse,
          `address ${formatIpv4(address)} is in use by client ${holder.stream.info.peerName}`,
        );
      }
      holder.close(CloseCode.Replaced, "replaced by a newer connection of the same client");
      this.#log.info("client {name} reconnected; its previous session is closed", { name });
    }
    this.#routes.add(address, session);
    return address;
  }

  /** Tells every client, stops reading the TUN, removes the interface. */
  async stop(): Promise<void> {
    this.#stopCertificateUpdates();
    for (const session of this.#sessions) session.close(CloseCode.Shutdown, "server shutting down");
    // A client that never answers our Close must not hold the shutdown for long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#listener.close(),
      new Promise((resolve) => (timer = setTimeout(resolve, 3000))),
    ]);
    clearTimeout(timer);
    await this.#reader.stop();
    this.#tun.close();
  }
}
