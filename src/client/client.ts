import type { Logger } from "@logtape/logtape";
import type { ClientConfig } from "../config/types.ts";
import { CloseCode, type StatedPrefix } from "../frame/control.ts";
import type { TunReader } from "../routing/tun_reader.ts";
import { type KeepaliveOptions, Session } from "../session/session.ts";
import type { MssClampCounters } from "../tun/device.ts";
import { ANY_SOURCE } from "../ip/packet_filter.ts";
import { deviceReader, DeviceRoutes, sessionBasics } from "../tunnel/data_path.ts";
import type { PeerRevocations, TunnelDevice } from "../tunnel/device.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { isCapRefusal } from "../transport/tls_errors.ts";
import { ServerRotation } from "./server_rotation.ts";
import { type FailbackMove, failBackWhenDue } from "./failback.ts";
import { acceptablePushedRoutes } from "./pushed_routes.ts";
import { routedIntoTunnel, UnderlayAddresses } from "./underlay.ts";
import type { ClientTransport } from "./transport.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import type { CarrierPolicy } from "../transport/congestion_control.ts";
import { formatEndpoint } from "../config/endpoint.ts";
import type { Endpoint } from "../config/types.ts";
import { formatAddress } from "../ip/address.ts";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { errorMessage } from "../base/error_message.ts";
import type { CounterRegistry } from "../counters/registry.ts";
import type { Readiness } from "../monitor/source.ts";
import { keepSparseLane } from "./sparse_lane.ts";

/** What a client works with, each made and opened by the caller (main.ts, or a test's fakes). */
export interface ClientEdges {
  /** The open TUN device; the client owns it from start() on and closes it on stop(). */
  readonly device: TunnelDevice;
  /** How the client reaches its servers. */
  readonly transport: ClientTransport;
  /** The CRL of the certificate set: a revoked server certificate is refused. */
  readonly revocations: PeerRevocations;
  /** Where the client counts; one per process. */
  readonly counters: CounterRegistry;
  /**
   * How carrier sockets are tuned and read (congestion control, unsent bytes, TCP_INFO:
   * src/transport/congestion_control.ts); absent where the streams are no sockets (tests' fakes).
   */
  readonly carrier?: CarrierPolicy;
  /** Where the client logs (its sessions under `session`). */
  readonly logger: Logger;
}

export interface TunnelClientOptions {
  /** @default the configuration's network.keepalive_interval and peer_timeout */
  readonly keepalive?: KeepaliveOptions;
  /** @default backoff.ts's defaults */
  readonly backoff?: BackoffOptions;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
}

/**
 * Client mode: the TUN device stays up for the life of the process while the connection to the
 * server is made, lost and made again with backoff, so routes through the tunnel never vanish.
 */
export class TunnelClient {
  readonly config: ClientConfig;
  readonly counters: CounterRegistry;
  #log: Logger;
  #tun: TunnelDevice;
  #transport: ClientTransport;
  #revocations: PeerRevocations;
  #routes: DeviceRoutes;
  #reader: TunReader;
  #session: Session | undefined;
  /** Aborted by stop(): ends a pending dial, a backoff wait and the reconnect loop. */
  #stopping = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #options: TunnelClientOptions;
  /** Why the last connection failed or ended, for readiness. */
  #lastProblem: string | undefined;
  #rotation: ServerRotation;
  #carrier: CarrierPolicy | undefined;
  /** The server dialled last (or connected to). */
  #current: Endpoint;
  /** Its place in the list (1-based). */
  #currentNumber = 1;
  /** The addresses the carrier depends on outside the tunnel (no route through it may hold one). */
  #underlay: UnderlayAddresses;
  /** The routes the server of the open session pushed (a dial never enters them). */
  #pushed: readonly IpPrefix[] = [];

  private constructor(config: ClientConfig, edges: ClientEdges, options: TunnelClientOptions) {
    const { logger } = edges;
    this.config = config;
    this.#log = logger;
    this.#tun = edges.device;
    this.#transport = edges.transport;
    this.#revocations = edges.revocations;
    this.#carrier = edges.carrier;
    this.#options = options;
    this.counters = edges.counters;
    this.#routes = new DeviceRoutes(edges.device, logger.getChild("session"));
    this.#rotation = new ServerRotation(config.servers, {
      order: config.serverOrder,
      failbackMs: config.failback * 1000,
    });
    this.#current = config.servers[0]!;
    this.#underlay = new UnderlayAddresses(config);
    this.#reader = deviceReader(
      edges.device,
      {
        route: () => this.#openSession(),
        route6: () => this.#openSession(),
        // One server: waiting for it when its queue is full holds up nobody else.
        openSinks: () => 1,
      },
      edges,
    );
  }

  /**
   * Installs the configured routes, starts reading the device and connecting, and returns the
   * running client. The device is the client's from here on: closed by stop(), or here when a
   * route cannot be installed.
   */
  static start(
    config: ClientConfig,
    edges: ClientEdges,
    options: TunnelClientOptions = {},
  ): TunnelClient {
    const { device: tun, logger } = edges;
    try {
      // Installed once on the interface, which lives as long as the process.
      for (const route of config.routes) tun.addRoute(route);
    } catch (error) {
      tun.close();
      throw error;
    }
    logger.info("tunnel {interface} {address} mtu {mtu}{routes}; connecting to {servers}", {
      interface: tun.name,
      address: tun.addresses.map(formatPrefix).join(" "),
      mtu: config.network.mtu,
      routes: config.routes.length > 0
        ? `, routes ${config.routes.map(formatPrefix).join(" ")}`
        : "",
      servers: config.servers.map(formatEndpoint).join(" or "),
    });
    const client = new TunnelClient(config, edges, options);
    client.#reader.start();
    client.#loop = client.#run();
    return client;
  }

  /** Every packet of a client goes to its one server, whatever the destination. */
  #openSession(): Session | undefined {
    const session = this.#session;
    return session?.state === "open" ? session : undefined;
  }

  get #running(): boolean {
    return !this.#stopping.signal.aborted;
  }

  /** Whether the TUN device runs with offloads (for the monitor). */
  get offload(): boolean {
    return this.#tun.offload;
  }

  /** TCP SYNs whose MSS the TUN lowered (for the monitor). */
  mssClamped(): MssClampCounters {
    return this.#tun.mssClamped();
  }

  /** Ready while a session with the server is open (for the monitor's /readyz). */
  readiness(): Readiness {
    const server = formatEndpoint(this.#current);
    if (this.#session?.state === "open") {
      return { ready: true, reason: `connected to ${server}` };
    }
    return {
      ready: false,
      reason: `not connected to ${server}${
        this.#lastProblem === undefined ? " yet" : `: ${this.#lastProblem}`
      }`,
    };
  }

  /** The server of the open session and its place in the list (for the monitor). */
  activeServer(): { server: string; position: number } | undefined {
    if (this.#session?.state !== "open") return undefined;
    return { server: formatEndpoint(this.#current), position: this.#currentNumber };
  }

  /** The current session, if connected. */
  get session(): Session | undefined {
    return this.#session;
  }

  async #run(): Promise<void> {
    const log = this.#log.getChild("session");
    const servers = this.config.servers.length;
    let attempt = 0;
    let first = true;
    /** The last failure as the log tells it: a dial error, or how a session ended. */
    let lastFailure = "";
    /** A connection to a better server that failback made; the next session uses it. */
    let moving: FailbackMove | undefined;
    while (this.#running) {
      if (!first) this.counters.process.connections.reconnects++;
      first = false;
      const move = moving;
      moving = undefined;
      let target = move?.target ?? this.#rotation.next();
      if (!target) {
        // Every server of the round failed: wait, then start over from the first.
        const delay = backoffDelay(attempt++, this.#options.backoff);
        log.warn("{reason}; retrying in {seconds} s", {
          reason: servers > 1
            ? `no server of ${servers} took us (last: ${lastFailure})`
            : lastFailure,
          seconds: (delay / 1000).toFixed(1),
        });
        await this.#sleep(delay);
        if (!this.#running) break;
        this.#rotation.startRound();
        target = this.#rotation.next()!;
      }
      this.#current = target.endpoint;
      this.#currentNumber = target.number;
      const which = servers > 1 ? ` (server ${target.number} of ${servers})` : "";
      let stream;
      try {
        stream = move?.stream ?? await this.#dial(target.endpoint);
      } catch (error) {
        if (!this.#running) break;
        this.#lastProblem = `${errorMessage(error)}${which}`;
        lastFailure = this.#lastProblem;
        if (isCapRefusal(lastFailure)) attempt = 0; // places free up within seconds: retry soon
        if (servers > 1) {
          log.warn("{reason}; trying the next server", { reason: this.#lastProblem });
        }
        continue;
      }
      if (!this.#running) {
        stream.destroy();
        break;
      }
      let pushed: readonly IpPrefix[] = [];
      const basics = sessionBasics(this.config, {
        device: this.#tun,
        counters: this.counters,
        keepalive: this.#options.keepalive,
        carrier: this.#carrier,
      });
      const session = new Session({
        role: "client",
        stream,
        logger: log,
        ...basics,
        admit: (server) => {
          if (this.config.acceptRoutes && server.routes) {
            pushed = this.#installPushed(server.routes, stream, log);
            this.#pushed = pushed;
          }
          return { filter: ANY_SOURCE, writer: this.#tun };
        },
      });
      this.#session = session;
      const untrack = this.counters.track(stream.info.peerName, () => session.view());
      let opened = false;
      try {
        const peer = await session.opened;
        opened = true;
        attempt = 0;
        this.#rotation.connected(target.number, Date.now());
        this.counters.process.connections.sessionsOpened++;
        log.info(
          "connected to {server}{which} as {address} ({protocol}, {cipher}); server {name} is " +
            "{peer}; offloads {offload}",
          {
            server: stream.info.remote,
            which,
            address: formatAddress(this.config.address.bytes),
            protocol: stream.info.protocol,
            cipher: stream.info.cipher,
            name: stream.info.peerName,
            peer: peer.address.text,
            offload: session.acceptsGso ? "on" : "off",
          },
        );
        const endpoint = target.endpoint;
        const dial = () => this.#dial(endpoint);
        keepSparseLane({ main: session, server: peer, dial, basics, writer: this.#tun, log });
      } catch {
        // ended before opening; the end reason is logged below
      }
      if (opened) {
        const dial = (endpoint: Endpoint) => this.#dial(endpoint);
        moving = await failBackWhenDue(session, { rotation: this.#rotation, dial, log });
      }
      const end = await session.ended;
      untrack();
      this.#session = undefined;
      this.#routes.remove(pushed, "the server");
      this.#pushed = [];
      if (!this.#running) {
        moving?.stream.destroy();
        break;
      }
      // Moving to a better server of the list: at once, over the connection failback made.
      if (moving) continue;
      this.#lastProblem = end.byPeer && end.code !== 0
        ? `server closed the session: ${end.message}`
        : end.message;
      if (end.byPeer && end.code === CloseCode.Duplicate) {
        log.error("{reason}", { reason: this.#lastProblem });
      }
      if (opened) {
        // A session that worked ends: start over, that server last, after a short pause.
        this.#rotation.lost(target.number);
        const delay = backoffDelay(0, this.#options.backoff);
        log.warn("disconnected from {server}: {reason}; reconnecting in {seconds} s", {
          server: stream.info.remote,
          reason: this.#lastProblem,
          seconds: (delay / 1000).toFixed(1),
        });
        await this.#sleep(delay);
      } else {
        lastFailure = `disconnected from ${stream.info.remote}${which}: ${this.#lastProblem}`;
        if (servers > 1) log.warn("{reason}; trying the next server", { reason: lastFailure });
      }
    }
  }

  /** Dials a server; every dial takes the current set, so a reload applies from then on. */
  async #dial(endpoint: Endpoint) {
    const stream = await this.#transport.dial(endpoint, {
      timeoutMs: this.#options.connectTimeoutMs ?? 10_000,
      signal: this.#stopping.signal,
      onResolved: (host, addresses) => this.#underlay.remember(host, addresses),
      refuseAddress: (address) => routedIntoTunnel(address, this.#pushed, formatPrefix),
    });
    if (this.#revocations.isRevoked(stream.info.peerSerial)) {
      stream.destroy();
      throw new Error(
        `cannot connect to ${stream.info.remote}: the server certificate (serial ` +
          `${stream.info.peerSerial}) is revoked by security.tls.crl_file`,
      );
    }
    return stream;
  }

  /** Routes the server announced, installed on the TUN for as long as this session lasts. */
  #installPushed(routes: readonly StatedPrefix[], stream: SecureStream, log: Logger): IpPrefix[] {
    const underlay = this.#underlay.all({
      remote: stream.info.remote,
      ...(stream.endpoints ? { local: stream.endpoints.localAddress } : {}),
    });
    const { accepted, refused } = acceptablePushedRoutes(routes, this.config, underlay);
    for (const problem of refused) log.warn("server route refused: {problem}", { problem });
    const installed = this.#routes.install(accepted, "the server");
    if (installed.length > 0) {
      log.info("routes through the tunnel from the server: {routes}", {
        routes: installed.map(formatPrefix).join(" "),
      });
    }
    return installed;
  }

  /** Waits before the next attempt; stopping the client ends the wait at once. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stopping.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Closes the session with a reason the server logs, stops the TUN reader, removes the device. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#session?.close(CloseCode.Shutdown, "client shutting down");
    await this.#loop;
    await this.#reader.stop();
    this.#tun.close();
  }
}
