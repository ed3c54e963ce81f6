/**
 * The server's side of each client: from an authenticated stream to a session with its addresses
 * and routes, until it ends. Revocation, the registry (`clients:`) and `max_clients` decide who
 * gets in; a reload of any of them applies to the live sessions as well.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { ServerConfig } from "../config/types.ts";
import { tunnelPrefixes } from "../config/addresses.ts";
import type { CounterRegistry } from "../counters/registry.ts";
import { CloseCode } from "../frame/control.ts";
import { formatPrefix, type IpPrefix } from "../ip/prefix.ts";
import { formatAddress } from "../ip/address.ts";
import type { SinkRouter } from "../routing/tun_reader.ts";
import { SendBudget } from "../session/send_queue.ts";
import {
  type Admission,
  type KeepaliveOptions,
  Session,
  SessionRefusal,
} from "../session/session.ts";
import { carrierInsideRoutes } from "./underlay_routes.ts";
import type { PendingSlot } from "../transport/pending.ts";
import type { SecureStream } from "../transport/secure_stream.ts";
import { compilePacketFilter, type PacketFilterRules } from "../ip/packet_filter.ts";
import { sessionBasics } from "../tunnel/data_path.ts";
import type { PeerRevocations, TunnelDevice } from "../tunnel/device.ts";
import { ClientAdmission } from "./admission.ts";
import { ClientRoutes } from "./client_routes.ts";
import { reachableRules } from "./reachable.ts";
import type { ConnectionLimits } from "./connection_limits.ts";
import type { StrangerLog } from "./stranger_log.ts";
import type { CarrierPolicy } from "../transport/congestion_control.ts";
import type { DoorEvents } from "./transport.ts";
import { clientDoorEvents } from "./client_door.ts";
import { ServerLanes } from "./sparse_lanes.ts";

/** The parts of the configuration a reload may change here (see applyConfig). */
export type LiveSettings = Pick<ServerConfig, "registry" | "pushRoutes" | "maxClients">;

export interface ClientSessionsOptions {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly device: TunnelDevice;
  readonly revocations: PeerRevocations;
  readonly counters: CounterRegistry;
  readonly limits: ConnectionLimits;
  readonly strangers: StrangerLog;
  /** @default the configuration's keepalive */
  readonly keepalive?: KeepaliveOptions;
  /** How carrier sockets are tuned (ServerEdges.carrier). */
  readonly carrier?: CarrierPolicy;
}

/** What a session holds while admitted: for its filter and status reports. */
interface Held {
  addresses: readonly IpPrefix[];
  routes: readonly IpPrefix[];
}

/**
 * Every client session of a server. With client_to_client off, each session's filter allows the
 * server's own addresses and denies the tunnel networks and every client's networks, so nothing
 * from one client reaches another.
 */
export class ClientSessions {
  readonly admission: ClientAdmission<Session>;
  #config: ServerConfig;
  #log: Logger;
  #device: TunnelDevice;
  #revocations: PeerRevocations;
  #counters: CounterRegistry;
  #strangers: StrangerLog;
  #keepalive: KeepaliveOptions | undefined;
  #carrier: CarrierPolicy | undefined;
  /** The kernel routes each client holds, with their metrics (host routes too in a pool). */
  #clientRoutes: ClientRoutes<Session>;
  #budget = new SendBudget();
  #sessions = new Map<Session, Held>();
  /** Sessions ended for good (revoked, refused by a reload): their names keep no lease. */
  #noLease = new Set<Session>();
  #open = 0;
  /** What every client may reach: an allow-list (see reachable.ts). */
  #destinationRules: Pick<PacketFilterRules, "destinations">;
  #lanes: ServerLanes;

  constructor(options: ClientSessionsOptions) {
    const { config } = options;
    this.#config = config;
    this.#log = options.logger;
    this.#device = options.device;
    this.#revocations = options.revocations;
    this.#counters = options.counters;
    this.#strangers = options.strangers;
    this.#keepalive = options.keepalive;
    this.#carrier = options.carrier;
    this.#clientRoutes = new ClientRoutes(options.device, options.logger, { pool: config.pool });
    const tunnels = tunnelPrefixes(config);
    this.admission = new ClientAdmission({
      tunnel4: tunnels[0]!,
      ...(tunnels[1] ? { tunnel6: tunnels[1] } : {}),
      ...(config.registry ? { registry: config.registry } : {}),
      maxClients: Math.min(config.maxClients, options.limits.maxSessions),
    });
    this.#destinationRules = destinationRules(config);
    this.#lanes = new ServerLanes(options.logger.getChild("session"), {
      maxConnections: options.limits.maxSessions,
      sessions: () => this.#open,
    });
  }

  /** Every network the registry routes to a client. */
  static registryRoutes(config: Pick<ServerConfig, "registry">): IpPrefix[] {
    return config.registry?.clients.flatMap((client) => client.routes) ?? [];
  }

  /** Where the TUN reader sends each packet: the open session that owns its destination. */
  router(): SinkRouter {
    const routes = this.admission.routes;
    return {
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
  }

  /** What the listener reports, handled (client_door.ts). */
  doorEvents(limits: ConnectionLimits): DoorEvents {
    return clientDoorEvents({
      counters: this.#counters,
      strangers: this.#strangers,
      revocations: this.#revocations,
      limits,
      handshakeTimeout: () => this.#config.security.handshakeTimeout,
      screen: (name) => this.admission.screen(name),
      start: (stream, slot) => this.#startSession(stream, slot),
    });
  }

  /** Live sessions, for status reports. */
  list(): Session[] {
    return [...this.#sessions.keys()];
  }

  /** Closes every session with a reason its client is told. */
  closeAll(code: CloseCode, message: string): void {
    for (const session of this.#sessions.keys()) session.close(code, message);
  }

  /**
   * The CRL changed: sessions of certificates it lists end at once, and names that left with
   * such a certificate lose their address reservation (the replacement may take it now).
   */
  closeRevoked(): void {
    const revoked = (serial: string) => this.#revocations.isRevoked(serial);
    for (const session of this.#sessions.keys()) {
      if (!revoked(session.connection.peerSerial)) continue;
      this.#noLease.add(session);
      session.close(CloseCode.CertificateRefused, "certificate refused: it is revoked");
    }
    this.admission.endLeasesOf(revoked);
  }

  /**
   * Applies a reloaded `clients:`, `unlisted`, `max_clients` and `push_routes`: sessions no
   * longer allowed are closed with the reason; those allowed stay, with their routes and filters
   * following the registry; push_routes reach sessions that open from now on. Returns one phrase
   * per session closed or rerouted, for the reload's log line.
   */
  applyConfig(next: LiveSettings, maxSessions: number): string[] {
    const { registry: _previous, ...base } = this.#config;
    this.#config = {
      ...base,
      ...(next.registry ? { registry: next.registry } : {}),
      pushRoutes: next.pushRoutes,
      maxClients: next.maxClients,
    };
    const update = this.admission.update({
      ...(next.registry ? { registry: next.registry } : {}),
      maxClients: Math.min(next.maxClients, maxSessions),
    });
    const said: string[] = [];
    for (const { peer, refusal } of update.refused) {
      this.#noLease.add(peer);
      peer.close(refusal.code, refusal.message);
      said.push(`closed ${peer.connection.peerName}: ${refusal.message}`);
    }
    this.#destinationRules = destinationRules(this.#config);
    for (const { peer, routes } of update.rerouted) {
      const name = peer.connection.peerName;
      const held = this.#sessions.get(peer);
      if (held) held.routes = routes;
      this.#clientRoutes.reroute(name, peer, { addresses: held?.addresses ?? [], routes });
      said.push(`routes of ${name} now ${routes.map(formatPrefix).join(" ") || "none"}`);
    }
    for (const [session, held] of this.#sessions) {
      if (session.state === "open") session.refilter(this.#filterFor(held));
    }
    return said;
  }

  #filterFor(held: Held) {
    return compilePacketFilter({
      sources: [...held.addresses, ...held.routes],
      ...this.#destinationRules,
    });
  }

  #startSession(stream: SecureStream, slot: PendingSlot): void {
    const { info } = stream;
    const log = this.#log.getChild("session");
    const held: Held = { addresses: [], routes: [] };
    const basics = sessionBasics(this.#config, {
      device: this.#device,
      counters: this.#counters,
      keepalive: this.#keepalive,
      carrier: this.#carrier,
    });
    /** Whether this connection is another session's sparse lane (its Hello names a token). */
    let isLane = false;
    /** Counted as a session of its name from its Hello on, unless it is a lane. */
    let untrack = () => {};
    const session: Session = new Session({
      role: "server",
      stream,
      logger: log,
      ...basics,
      onSpoofed: (source) => this.#strangers.spoofed(info.peerName, formatAddress(source)),
      sendBudget: this.#budget,
      onLaneRequest: () => this.#lanes.renew(session),
      admit: (peer) => {
        const captured = carrierInsideRoutes(
          info.peerName,
          stream.endpoints?.remoteAddress ?? info.remote,
          this.#config,
        );
        if (captured) throw new SessionRefusal(CloseCode.AddressRejected, captured);
        if (peer.lane !== undefined) {
          const owner = this.#lanes.admit(peer.lane, session);
          // A lane is no session of its own: not listed, not counted, no address.
          isLane = true;
          this.#sessions.delete(session);
          return {
            filter: this.#filterFor(this.#sessions.get(owner) ?? held),
            writer: this.#device,
          };
        }
        untrack = this.#counters.track(
          info.peerName,
          () => ({ ...session.view(), routes: held.routes.map(formatPrefix) }),
        );
        const admitted = this.admission.admit(peer, session);
        held.addresses = admitted.addresses;
        held.routes = admitted.routes;
        if (admitted.replaced) {
          admitted.replaced.close(
            CloseCode.Replaced,
            "replaced by a newer connection of the same client",
          );
          this.#log.info("client {name} reconnected; its previous session is closed", {
            name: info.peerName,
          });
        }
        // Added before the replaced session's are removed: the route never leaves the kernel.
        this.#clientRoutes.admit(info.peerName, session, admitted);
        if (peer.mtu !== this.#config.network.mtu) {
          log.warn(
            "client {name} uses mtu {theirs}, the server {ours}; packets above the smaller are lost",
            { name: info.peerName, theirs: peer.mtu, ours: this.#config.network.mtu },
          );
        }
        return {
          filter: this.#filterFor(held),
          writer: this.#device,
          reply: this.#lanes.offer(session, peer, basics.hello),
        } satisfies Admission;
      },
    });
    this.#sessions.set(session, held);
    session.opened.then(() => {
      slot.release();
      if (isLane) return; // ServerLanes attaches it
      this.#open++;
      this.#counters.process.connections.sessionsOpened++;
      log.info("client {name} ({peer}) is {address}; offloads {offload}", {
        name: info.peerName,
        peer: info.remote,
        address: held.addresses.map((a) => formatAddress(a.bytes)).join(" "),
        offload: session.acceptsGso ? "on" : "off",
      });
    }, () => {});
    session.ended.then((end) => {
      slot.release();
      this.#lanes.forget(session);
      if (isLane) return; // a lane's end is logged by ServerLanes
      if (session.peer !== undefined) this.#open--;
      this.#sessions.delete(session);
      untrack();
      const lease = !this.#noLease.delete(session);
      this.admission.release(session, { lease });
      this.#clientRoutes.release(info.peerName, session);
      if (session.peer === undefined) {
        this.#strangers.endedEarly(
          info.peerName,
          "client {name} ({peer}) disconnected: {reason}; certificate serial {serial}",
          { name: info.peerName, peer: info.remote, serial: info.peerSerial, reason: end.message },
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
}

/** The filter's destination rules for every session: what a client may reach (reachable.ts). */
function destinationRules(config: ServerConfig): Pick<PacketFilterRules, "destinations"> {
  return {
    destinations: reachableRules({
      ...config,
      tunnels: tunnelPrefixes(config),
      registryRoutes: ClientSessions.registryRoutes(config),
    }),
  };
}
