import type { Logger } from "@logtape/logtape";
import type { ServerConfig } from "../config/types.ts";
import { tunnelPrefixes } from "../config/net.ts";
import { countReason, observeRtt } from "../counters/counters.ts";
import { CounterRegistry } from "../counters/registry.ts";
import { CloseCode, encodeClose, Feature } from "../frame/control.ts";
import { formatAddress, formatPrefix, hostPrefix, type IpPrefix, networkOf } from "../ip/prefix.ts";
import { type SinkRouter, TunReader } from "../routing/tun_reader.ts";
import { helloFor, keepaliveFrom } from "../session/hello.ts";
import { SendBudget } from "../session/send_queue.ts";
import { type Admission, type KeepaliveOptions, Session } from "../session/session.ts";
import { TlsListener, type UnauthorizedPeer } from "../transport/listener.ts";
import { CertificateStore } from "../pki/certificate_store.ts";
import type { PendingSlot } from "../transport/pending.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import type { MssClampCounters, TunDevice } from "../tun/device.ts";
import { openTunFor } from "../tun/from_config.ts";
import type { TunLibrary } from "../tun/ffi.ts";
import { loadTunLibrary } from "../tun/native_library.ts";
import { OffloadConverter } from "../tun/offload.ts";
import { forwardingProblem, readForwarding } from "../tun/forwarding.ts";
import { compilePacketFilter, type PacketFilterRules } from "../ip/packet_filter.ts";
import { ClientAdmission } from "./admission.ts";
import { classifyClientRefusal } from "./client_refusal.ts";
import { type ConnectionLimits, connectionLimitsFor } from "./connection_limits.ts";
import { StrangerLog } from "./stranger_log.ts";
import type { Readiness } from "../monitor/source.ts";
import { errorMessage } from "../base/error_message.ts";

/** The reason a refusal is counted under in sssonector_connections_refused_total. */
function refusalKind(code: number): string {
  if (code === CloseCode.ServerFull) return "server full";
  if (code === CloseCode.Duplicate) return "duplicate";
  return "not allowed";
}

export interface TunnelServerOptions {
  readonly keepalive?: KeepaliveOptions;
  /** The native shim, loaded once by main. @default loaded here */
  readonly tunLibrary?: TunLibrary;
  /** Where the server counts; one per process, made by main. */
  readonly counters?: CounterRegistry;
  /** The process's open-file limit (read from /proc by default); the caps are fitted under it. */
  readonly fileLimit?: number;
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
  readonly counters: CounterRegistry;
  readonly limits: ConnectionLimits;
  #log: Logger;
  #tun: TunDevice;
  #listener!: TlsListener;
  #admission: ClientAdmission<Session>;
  #reader: TunReader;
  #sessions = new Set<Session>();
  #open = 0;
  #budget = new SendBudget();
  #strangers: StrangerLog;
  #options: TunnelServerOptions;
  #stopCertificateUpdates = () => {};
  #certificates!: CertificateStore;
  /**
   * With client_to_client off: the server's own addresses are allowed, the tunnel networks and
   * every client's networks denied, so nothing from one client reaches another.
   */
  #destinationRules: Pick<PacketFilterRules, "allowDestinations" | "denyDestinations">;
  /** Every network the registry routes to a client. */
  #registryRoutes: readonly IpPrefix[];

  private constructor(
    config: ServerConfig,
    logger: Logger,
    tun: TunDevice,
    lib: TunLibrary,
    options: TunnelServerOptions,
  ) {
    this.config = config;
    this.#log = logger;
    this.#tun = tun;
    this.#options = options;
    this.counters = options.counters ?? new CounterRegistry();
    this.limits = connectionLimitsFor(config.security, options.fileLimit);
    this.#strangers = new StrangerLog(logger.getChild("door"));
    const tunnels = tunnelPrefixes(config);
    this.#registryRoutes = config.registry?.clients.flatMap((client) => client.routes) ?? [];
    this.#admission = new ClientAdmission({
      tunnel4: tunnels[0]!,
      ...(tunnels[1] ? { tunnel6: tunnels[1] } : {}),
      ...(config.registry ? { registry: config.registry } : {}),
      maxClients: Math.min(config.maxClients, this.limits.maxSessions),
    });
    this.#destinationRules = config.clientToClient ? {} : {
      allowDestinations: tunnels.map((t) => hostPrefix(t.bytes)),
      denyDestinations: [
        ...tunnels.map(networkOf),
        ...this.#registryRoutes,
      ],
    };
    const routes = this.#admission.routes;
    const router: SinkRouter = {
      route: (destination) => {
        const session = routes.lookup4(destination);
        return session?.state === "open" ? session : undefined;
      },
      route6: (packet, offset) => {
        const session = routes.lookup6(packet, offset);
        return session?.state === "open" ? session : undefined;
      },
      openSinks: () => this.#open,
    };
    this.#reader = new TunReader(tun, router, logger.getChild("tun"), {
      converter: new OffloadConverter(lib),
      counters: this.counters.process.tun,
    });
  }

  static async start(config: ServerConfig, logger: Logger, options: TunnelServerOptions = {}) {
    const certificates = options.certificates ??
      await CertificateStore.load(config.security.tls, "server");
    const lib = options.tunLibrary ?? loadTunLibrary();
    const tun = openTunFor(config, lib);
    const server = new TunnelServer(config, logger, tun, lib, options);
    server.#certificates = certificates;
    const { limits } = server;
    if (limits.lowered) logger.warn("{message}", { message: limits.lowered });
    server.#warnUnforwarded(lib);
    try {
      server.#listener = await TlsListener.listen(config.listen, certificates.current(), {
        onStream: (stream, slot) => server.#accept(stream, slot),
        onUnauthorized: (peer) => server.#refuse(peer),
        onHandshakeFailure: (peer, reason) => {
          countReason(server.counters.process.connections.refused, "handshake failed");
          server.#strangers.refused(peer, reason);
        },
        onCapped: (peer, cap) => {
          countReason(server.counters.process.connections.capped, cap);
          server.#strangers.capped(peer, cap, limits);
        },
        onHandshakeTimeout: (peer) => {
          server.counters.process.connections.handshakeTimeouts++;
          server.#strangers.timedOut(peer, config.security.handshakeTimeout);
        },
      }, {
        maxPending: limits.maxPending,
        maxPendingPerSource: limits.maxPendingPerSource,
        handshakeTimeoutMs: config.security.handshakeTimeout * 1000,
      });
    } catch (error) {
      server.#strangers.stop();
      tun.close();
      throw error;
    }
    // New handshakes get a reloaded certificate set; live connections keep theirs.
    server.#stopCertificateUpdates = certificates.onChange((m) => {
      server.#listener.setMaterial(m);
      // A revocation takes effect at once: sessions of certificates the new CRL lists end.
      for (const session of server.#sessions) {
        if (certificates.isRevoked(session.connection.peerSerial)) {
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

  /** Whether the TUN device runs with offloads (for the monitor). */
  get offload(): boolean {
    return this.#tun.offload;
  }

  /** TCP SYNs whose MSS the TUN lowered (for the monitor). */
  mssClamped(): MssClampCounters {
    return this.#tun.mssClamped();
  }

  /** Ready once listening, which start() has done (for the monitor's /readyz). */
  readiness(): Readiness {
    return { ready: true, reason: `listening on ${this.config.listen.host}:${this.port}` };
  }

  /** Live sessions, for status reports. */
  sessions(): Session[] {
    return [...this.#sessions];
  }

  /** A client whose certificate our TLS layer did not accept: told why, then disconnected. */
  #refuse(peer: UnauthorizedPeer): void {
    const refusal = classifyClientRefusal(peer.certificate);
    countReason(this.counters.process.connections.refused, refusal.kind);
    this.#strangers.refused(peer.remote, `client certificate refused: ${refusal.message}`);
    peer.refuse(encodeClose({
      code: CloseCode.CertificateRefused,
      message: `certificate refused: ${refusal.message}`,
    }));
  }

  #accept(stream: SecureStream, slot: PendingSlot): void {
    const { info } = stream;
    const log = this.#log.getChild("session");
    // node:tls does not apply CRLs; the current one is checked here, before any session.
    if (this.#certificates.isRevoked(info.peerSerial)) {
      slot.release();
      countReason(this.counters.process.connections.refused, "revoked");
      this.#strangers.revoked(info.remote, info.peerName, info.peerSerial);
      this.#sayAndEnd(stream, CloseCode.CertificateRefused, "certificate refused: it is revoked");
      return;
    }
    const refusal = this.#admission.screen(info.peerName);
    if (refusal) {
      slot.release();
      countReason(this.counters.process.connections.refused, refusalKind(refusal.code));
      this.#strangers.turnedAway(info.remote, info.peerName, refusal.message);
      this.#sayAndEnd(stream, refusal.code, refusal.message);
      return;
    }
    this.#strangers.authenticated(
      info.peerName,
      "client {peer} authenticated as {name} ({protocol}, {cipher})",
      { peer: info.remote, name: info.peerName, protocol: info.protocol, cipher: info.cipher },
    );
    let addresses: readonly IpPrefix[] = [];
    /** The networks routed to this client, for status reports. */
    let routed: readonly string[] = [];
    const session: Session = new Session({
      role: "server",
      stream,
      hello: helloFor(this.config, this.#tun.offload ? [Feature.Gso] : []),
      logger: log,
      keepalive: this.#options.keepalive ?? keepaliveFrom(this.config),
      handshakeTimeoutMs: this.config.security.handshakeTimeout * 1000,
      onRtt: (ms) => observeRtt(this.counters.process.rtt, ms),
      onSpoofed: (source) => this.#strangers.spoofed(info.peerName, formatAddress(source)),
      sendBudget: this.#budget,
      admit: (peer) => {
        const admitted = this.#admission.admit(
          { address: peer.address, ...(peer.address6 ? { address6: peer.address6 } : {}) },
          session,
        );
        addresses = admitted.addresses;
        routed = admitted.routes.map(formatPrefix);
        if (admitted.replaced) {
          admitted.replaced.close(
            CloseCode.Replaced,
            "replaced by a newer connection of the same client",
          );
          this.#log.info("client {name} reconnected; its previous session is closed", {
            name: info.peerName,
          });
        }
        for (const route of admitted.uninstall) this.#removeRoute(route, info.peerName);
        for (const route of admitted.install) this.#addRoute(route, info.peerName);
        if (peer.mtu !== this.config.network.mtu) {
          log.warn(
            "client {name} uses mtu {theirs}, the server {ours}; packets above the smaller are lost",
            { name: info.peerName, theirs: peer.mtu, ours: this.config.network.mtu },
          );
        }
        const filter = compilePacketFilter({
          sources: [...addresses, ...admitted.routes],
          ...this.#destinationRules,
        });
        return { filter, writer: this.#tun } satisfies Admission;
      },
    });
    this.#sessions.add(session);
    const untrack = this.counters.track(
      info.peerName,
      () => ({ ...session.view(), routes: routed }),
    );
    session.opened.then(() => {
      slot.release();
      this.#open++;
      this.counters.process.connections.sessionsOpened++;
      log.info("client {name} ({peer}) is {address}; offloads {offload}", {
        name: info.peerName,
        peer: info.remote,
        address: addresses.map((a) => formatAddress(a.bytes)).join(" "),
        offload: session.acceptsGso ? "on" : "off",
      });
    }, () => {});
    session.ended.then((end) => {
      slot.release();
      if (session.peer !== undefined) this.#open--;
      this.#sessions.delete(session);
      untrack();
      for (const route of this.#admission.release(session)) {
        this.#removeRoute(route, info.peerName);
      }
      if (session.peer === undefined) {
        this.#strangers.endedEarly(
          info.peerName,
          "client {name} ({peer}) disconnected: {reason}",
          { name: info.peerName, peer: info.remote, reason: end.message },
        );
        return;
      }
      const { bytesIn, bytesOut, drops } = session.counters;
      log.info(
        "client {name} ({peer}) disconnected: {reason}; {bytesIn} bytes in, {bytesOut} out, " +
          "{congested} packets dropped as congested",
        {
          name: info.peerName,
          peer: info.remote,
          reason: end.message,
          bytesIn,
          bytesOut,
          congested: drops.congested,
        },
      );
    });
  }

  /** Warns when this host does not forward the networks the tunnel routes for its LANs. */
  #warnUnforwarded(lib: TunLibrary): void {
    const routed = [...this.#registryRoutes, ...this.config.pushRoutes];
    if (routed.length === 0) return;
    const problem = forwardingProblem(
      readForwarding(lib),
      "the networks behind clients and in push_routes",
      { ipv4: routed.some((r) => r.family === 4), ipv6: routed.some((r) => r.family === 6) },
    );
    if (problem) this.#log.warn("{message}", { message: problem });
  }

  /** Routes a registered client's network to the TUN while it is connected. */
  #addRoute(route: IpPrefix, name: string): void {
    try {
      this.#tun.addRoute(route);
      this.#log.info("route {route} now goes to client {name}", {
        route: formatPrefix(route),
        name,
      });
    } catch (error) {
      this.#log.error("cannot route {route} to client {name}: {reason}", {
        route: formatPrefix(route),
        name,
        reason: errorMessage(error),
      });
    }
  }

  #removeRoute(route: IpPrefix, name: string): void {
    if (this.#tun.closed) return;
    try {
      this.#tun.removeRoute(route);
    } catch (error) {
      this.#log.warn("cannot remove route {route} of client {name}: {reason}", {
        route: formatPrefix(route),
        name,
        reason: errorMessage(error),
      });
    }
  }

  /** Sends one Close frame saying why, then ends the connection; nothing it sends is read. */
  #sayAndEnd(stream: SecureStream, code: CloseCode, message: string): void {
    stream.write(encodeClose({ code, message })).then(() => stream.end());
  }

  /** Tells every client, stops reading the TUN, removes the interface. */
  async stop(): Promise<void> {
    this.#stopCertificateUpdates();
    for (const session of this.#sessions) session.close(CloseCode.Shutdown, "server shutting down");
    this.#strangers.stop();
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
