import type { Logger } from "@logtape/logtape";
import type { ClientConfig } from "../config/types.ts";
import { CloseCode, Feature } from "../frame/control.ts";
import { TunReader } from "../routing/tun_reader.ts";
import { helloFor, keepaliveFrom } from "../session/hello.ts";
import { type KeepaliveOptions, Session } from "../session/session.ts";
import { dialTls } from "../transport/dialer.ts";
import { CertificateStore } from "../pki/certificate_store.ts";
import type { MssClampCounters, TunDevice } from "../tun/device.ts";
import { openTunFor } from "../tun/from_config.ts";
import type { TunLibrary } from "../tun/ffi.ts";
import { loadTunLibrary } from "../tun/native_library.ts";
import { OffloadConverter } from "../tun/offload.ts";
import { ANY_SOURCE } from "../ip/packet_filter.ts";
import { backoffDelay, type BackoffOptions } from "./backoff.ts";
import { ServerRotation } from "./server_rotation.ts";
import { acceptablePushedRoutes } from "./pushed_routes.ts";
import { formatEndpoint, tunnelPrefixes } from "../config/net.ts";
import type { Endpoint } from "../config/types.ts";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { errorMessage } from "../base/error_message.ts";
import { CounterRegistry } from "../counters/registry.ts";
import { observeRtt } from "../counters/counters.ts";
import type { Readiness } from "../monitor/source.ts";

export interface TunnelClientOptions {
  readonly keepalive?: KeepaliveOptions;
  readonly backoff?: BackoffOptions;
  /** @default 10000 */
  readonly connectTimeoutMs?: number;
  /** The native shim, loaded once by main. @default loaded here */
  readonly tunLibrary?: TunLibrary;
  /** Where the client counts; one per process, made by main. */
  readonly counters?: CounterRegistry;
  /** The certificate set; loaded from config.security.tls when absent. */
  readonly certificates?: CertificateStore;
}

/**
 * Client mode: the TUN device stays up for the life of the process while the connection to the
 * server is made, lost and made again with backoff, so routes through the tunnel never vanish.
 */
export class TunnelClient {
  readonly config: ClientConfig;
  readonly counters: CounterRegistry;
  #log: Logger;
  #tun: TunDevice;
  #certificates: CertificateStore;
  #reader: TunReader;
  #session: Session | undefined;
  /** Aborted by stop(): ends a pending dial, a backoff wait and the reconnect loop. */
  #stopping = new AbortController();
  #loop: Promise<void> = Promise.resolve();
  #options: TunnelClientOptions;
  /** Why the last connection failed or ended, for readiness. */
  #lastProblem: string | undefined;
  #rotation: ServerRotation;
  /** The server dialled last (or connected to). */
  #current: Endpoint;

  private constructor(
    config: ClientConfig,
    logger: Logger,
    tun: TunDevice,
    lib: TunLibrary,
    certificates: CertificateStore,
    options: TunnelClientOptions,
  ) {
    this.config = config;
    this.#log = logger;
    this.#tun = tun;
    this.#certificates = certificates;
    this.#options = options;
    this.counters = options.counters ?? new CounterRegistry();
    this.#rotation = new ServerRotation(config.servers, config.serverOrder);
    this.#current = config.servers[0]!;
    this.#reader = new TunReader(
      tun,
      {
        route: () => this.#openSession(),
        route6: () => this.#openSession(),
        // One server: waiting for it when its queue is full holds up nobody else.
        openSinks: () => 1,
      },
      logger.getChild("tun"),
      {
        converter: new OffloadConverter(lib),
        counters: this.counters.process.tun,
      },
    );
  }

  static async start(config: ClientConfig, logger: Logger, options: TunnelClientOptions = {}) {
    const certificates = options.certificates ??
      await CertificateStore.load(config.security.tls, "client");
    const lib = options.tunLibrary ?? loadTunLibrary();
    const tun = openTunFor(config, lib);
    try {
      // Installed once on the interface, which lives as long as the process.
      for (const route of config.routes) tun.addRoute(route);
    } catch (error) {
      tun.close();
      throw error;
    }
    logger.info("tunnel {interface} {address} mtu {mtu}{routes}; connecting to {servers}", {
      interface: tun.name,
      address: tunnelPrefixes(config).map(formatPrefix).join(" "),
      mtu: config.network.mtu,
      routes: config.routes.length > 0
        ? `, routes ${config.routes.map(formatPrefix).join(" ")}`
        : "",
      servers: config.servers.map(formatEndpoint).join(" or "),
    });
    const client = new TunnelClient(config, logger, tun, lib, certificates, options);
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
    while (this.#running) {
      if (!first) this.counters.process.connections.reconnects++;
      first = false;
      let target = this.#rotation.next();
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
      const which = servers > 1 ? ` (server ${target.number} of ${servers})` : "";
      let stream;
      try {
        // Every dial takes the current set, so a reload applies from the next connection on.
        stream = await dialTls(target.endpoint, this.#certificates.current(), {
          ...(this.#options.connectTimeoutMs ? { timeoutMs: this.#options.connectTimeoutMs } : {}),
          signal: this.#stopping.signal,
        });
        if (this.#certificates.isRevoked(stream.info.peerSerial)) {
          stream.destroy();
          throw new Error(
            `cannot connect to ${stream.info.remote}: the server certificate (serial ` +
              `${stream.info.peerSerial}) is revoked by security.tls.crl_file`,
          );
        }
      } catch (error) {
        if (!this.#running) break;
        this.#lastProblem = `${errorMessage(error)}${which}`;
        lastFailure = this.#lastProblem;
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
      const session = new Session({
        role: "client",
        stream,
        hello: helloFor(this.config, this.#tun.offload ? [Feature.Gso] : []),
        logger: log,
        keepalive: this.#options.keepalive ?? keepaliveFrom(this.config),
        handshakeTimeoutMs: this.config.security.handshakeTimeout * 1000,
        onRtt: (ms) => observeRtt(this.counters.process.rtt, ms),
        admit: (server) => {
          if (this.config.acceptRoutes && server.routes) {
            pushed = this.#installPushed(server.routes, stream.info.remote, log);
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
        this.counters.process.connections.sessionsOpened++;
        log.info(
          "connected to {server}{which} as {address} ({protocol}, {cipher}); server {name} is " +
            "{peer}; offloads {offload}",
          {
            server: stream.info.remote,
            which,
            address: this.config.address.ip,
            protocol: stream.info.protocol,
            cipher: stream.info.cipher,
            name: stream.info.peerName,
            peer: peer.address,
            offload: session.acceptsGso ? "on" : "off",
          },
        );
      } catch {
        // ended before opening; the end reason is logged below
      }
      const end = await session.ended;
      untrack();
      this.#session = undefined;
      this.#removePushed(pushed, log);
      if (!this.#running) break;
      this.#lastProblem = end.byPeer && end.code !== 0
        ? `server closed the session: ${end.message}`
        : end.message;
      if (end.byPeer && end.code === CloseCode.Duplicate) {
        log.error("{reason}", { reason: this.#lastProblem });
      }
      if (opened) {
        // A session that worked ends: start over from the first server, after a short pause.
        this.#rotation.startRound();
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

  /** Routes the server announced, installed on the TUN for as long as this session lasts. */
  #installPushed(routes: readonly string[], remote: string, log: Logger): IpPrefix[] {
    const { accepted, refused } = acceptablePushedRoutes(routes, this.config, remote);
    for (const problem of refused) log.warn("server route refused: {problem}", { problem });
    const installed: IpPrefix[] = [];
    for (const route of accepted) {
      try {
        this.#tun.addRoute(route);
        installed.push(route);
      } catch (error) {
        log.error("cannot install the server's route {route}: {reason}", {
          route: formatPrefix(route),
          reason: errorMessage(error),
        });
      }
    }
    if (installed.length > 0) {
      log.info("routes through the tunnel from the server: {routes}", {
        routes: installed.map(formatPrefix).join(" "),
      });
    }
    return installed;
  }

  #removePushed(routes: readonly IpPrefix[], log: Logger): void {
    if (this.#tun.closed) return;
    for (const route of routes) {
      try {
        this.#tun.removeRoute(route);
      } catch (error) {
        log.warn("cannot remove the server's route {route}: {reason}", {
          route: formatPrefix(route),
          reason: errorMessage(error),
        });
      }
    }
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
