import type { Logger } from "@logtape/logtape";
import type { ServerConfig } from "../config/types.ts";
import type { CounterRegistry } from "../counters/registry.ts";
import { CloseCode } from "../frame/control.ts";
import type { TunReader } from "../routing/tun_reader.ts";
import type { KeepaliveOptions, Session } from "../session/session.ts";
import type { Readiness } from "../monitor/source.ts";
import type { MssClampCounters } from "../tun/device.ts";
import { forwardingProblem } from "../tun/forwarding.ts";
import { formatAddress } from "../ip/address.ts";
import { deviceReader } from "../tunnel/data_path.ts";
import type { PeerRevocations, TunnelDevice } from "../tunnel/device.ts";
import {
  acceptWatchLog,
  type ConnectionLimits,
  fitConnectionLimits,
  NOT_ACCEPTING,
} from "./connection_limits.ts";
import { ClientSessions, type LiveSettings } from "./client_sessions.ts";
import { StrangerLog } from "./stranger_log.ts";
import type { ListeningDoor, ServerTransport } from "./transport.ts";
import type { CarrierPolicy } from "../transport/congestion_control.ts";

/** What a server works with, each made and opened by the caller (main.ts, or a test's fakes). */
export interface ServerEdges {
  /** The open TUN device; the server owns it from start() on and closes it on stop(). */
  readonly device: TunnelDevice;
  /** Where clients come from. */
  readonly transport: ServerTransport;
  /** The CRL of the certificate set: revoked clients are refused, and ended on a reload. */
  readonly revocations: PeerRevocations;
  /** Where the server counts; one per process. */
  readonly counters: CounterRegistry;
  /** This host's forwarding settings (for the warning about routed networks). */
  readonly forwarding: { readonly ipv4?: boolean; readonly ipv6?: boolean };
  /**
   * How carrier sockets are tuned and read (congestion control, unsent bytes, TCP_INFO:
   * src/transport/congestion_control.ts); absent where the streams are no sockets (tests' fakes).
   */
  readonly carrier?: CarrierPolicy;
  /** Where the server logs (its sessions under `session`, the door under `door`). */
  readonly logger: Logger;
}

export interface TunnelServerOptions {
  /** @default the configuration's network.keepalive_interval and peer_timeout */
  readonly keepalive?: KeepaliveOptions;
  /** The process's open-file limit (undefined: unknown); the caps are fitted under it. */
  readonly fileLimit: number | undefined;
}

/**
 * Server mode: one TUN device, one listener, a session per client. Packets from the TUN go to
 * the session that owns their destination; packets from a client must carry its own tunnel
 * address as source (anti-spoofing) before they reach the TUN.
 */
export class TunnelServer {
  readonly config: ServerConfig;
  readonly counters: CounterRegistry;
  readonly limits: ConnectionLimits;
  #device: TunnelDevice;
  #door: ListeningDoor;
  #clients: ClientSessions;
  #reader: TunReader;
  #strangers: StrangerLog;
  #stopRevocations: () => void;

  private constructor(
    config: ServerConfig,
    edges: ServerEdges,
    parts: {
      limits: ConnectionLimits;
      door: ListeningDoor;
      clients: ClientSessions;
      reader: TunReader;
      strangers: StrangerLog;
    },
  ) {
    this.config = config;
    this.counters = edges.counters;
    this.limits = parts.limits;
    this.#device = edges.device;
    this.#door = parts.door;
    this.#clients = parts.clients;
    this.#reader = parts.reader;
    this.#strangers = parts.strangers;
    // A revocation takes effect at once: sessions of certificates the new CRL lists end.
    this.#stopRevocations = edges.revocations.onChange(() => parts.clients.closeRevoked());
  }

  /**
   * Listens, starts reading the device, and returns the running server. The device is the
   * server's from here on: closed by stop(), or here when listening fails.
   */
  static async start(
    config: ServerConfig,
    edges: ServerEdges,
    options: TunnelServerOptions,
  ): Promise<TunnelServer> {
    const { device, logger } = edges;
    const limits = fitConnectionLimits(config.security, options.fileLimit);
    if (limits.lowered) logger.warn("{message}", { message: limits.lowered });
    warnUnforwarded(config, edges.forwarding, logger);
    const strangers = new StrangerLog(logger.getChild("door"));
    const clients = new ClientSessions({
      config,
      logger,
      device,
      revocations: edges.revocations,
      counters: edges.counters,
      limits,
      strangers,
      ...(options.keepalive ? { keepalive: options.keepalive } : {}),
      ...(edges.carrier ? { carrier: edges.carrier } : {}),
    });
    let door: ListeningDoor;
    try {
      door = await edges.transport.listen({
        ...clients.doorEvents(limits),
        ...acceptWatchLog(logger),
      }, {
        maxPending: limits.maxPending,
        maxPendingPerSource: limits.maxPendingPerSource,
        ...limits.networks,
        handshakeTimeoutMs: config.security.handshakeTimeout * 1000,
      });
    } catch (error) {
      strangers.stop();
      device.close();
      throw error;
    }
    const reader = deviceReader(device, clients.router(), edges);
    const server = new TunnelServer(config, edges, { limits, door, clients, reader, strangers });
    reader.start();
    logger.info("listening on {host}:{port}; tunnel {interface} {address}/{prefix} mtu {mtu}", {
      host: config.listen.host,
      port: door.endpoint.port,
      interface: device.name,
      address: formatAddress(config.address.bytes),
      prefix: config.address.length,
      mtu: config.network.mtu,
    });
    return server;
  }

  /** The bound port (useful when the config asks for port 0). */
  get port(): number {
    return this.#door.endpoint.port;
  }

  /** Whether the TUN device runs with offloads (for the monitor). */
  get offload(): boolean {
    return this.#device.offload;
  }

  /** TCP SYNs whose MSS the TUN lowered (for the monitor). */
  mssClamped(): MssClampCounters {
    return this.#device.mssClamped();
  }

  /** Resolves when the listening socket is gone for good (ListeningDoor.lost): exit and restart. */
  get lost(): Promise<string> {
    return this.#door.lost;
  }

  /** Ready while listening, which start() has begun (for the monitor's /readyz). */
  readiness(): Readiness {
    if (!this.#door.accepting) return { ready: false, reason: NOT_ACCEPTING };
    return { ready: true, reason: `listening on ${this.config.listen.host}:${this.port}` };
  }

  /** Live sessions, for status reports. */
  sessions(): Session[] {
    return this.#clients.list();
  }

  /**
   * Applies a reloaded configuration's `clients:`, `unlisted`, `max_clients` and `push_routes`
   * (see ClientSessions.applyConfig); returns what it did to live sessions, one phrase each.
   */
  applyConfig(next: LiveSettings): string[] {
    return this.#clients.applyConfig(next, this.limits.maxSessions);
  }

  /** Tells every client, stops reading the TUN, removes the interface. */
  async stop(): Promise<void> {
    this.#stopRevocations();
    this.#clients.closeAll(CloseCode.Shutdown, "server shutting down");
    this.#strangers.stop();
    // A client that never answers our Close must not hold the shutdown for long.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.#door.close(),
      new Promise((resolve) => (timer = setTimeout(resolve, 3000))),
    ]);
    clearTimeout(timer);
    await this.#reader.stop();
    this.#device.close();
  }
}

/** Warns when this host does not forward the networks the tunnel routes for its LANs. */
function warnUnforwarded(
  config: ServerConfig,
  forwarding: ServerEdges["forwarding"],
  log: Logger,
): void {
  const routed = [...ClientSessions.registryRoutes(config), ...config.pushRoutes];
  if (routed.length === 0) return;
  const problem = forwardingProblem(
    forwarding,
    "the networks behind clients and in push_routes",
    { ipv4: routed.some((r) => r.family === 4), ipv6: routed.some((r) => r.family === 6) },
  );
  if (problem) log.warn("{message}", { message: problem });
}
