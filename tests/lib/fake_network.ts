/**
 * A network in memory for the in-process suite: servers listen on `host:port` endpoints, clients
 * dial them, and each connection is a pair of in-memory streams (memory_stream.ts) whose `info`
 * carries the other end's certificate (name, serial), as a mutual-TLS handshake would. The test
 * can refuse dials to an endpoint, make them fail with a reason, drop every live connection to
 * it, and count the dials.
 */
import type { ClientTransport } from "../../src/client/transport.ts";
import type { Endpoint } from "../../src/config/types.ts";
import type {
  DoorEvents,
  DoorLimits,
  ListeningDoor,
  ServerTransport,
} from "../../src/server/transport.ts";
import type { PendingSlot } from "../../src/transport/pending.ts";
import { type MemoryStream, memoryStreamPair } from "./memory_stream.ts";

/** A certificate as the other end sees it. */
export interface Identity {
  /** Common name. */
  readonly name: string;
  /** Serial, upper-case hex. */
  readonly serial: string;
  /** False: a certificate our CA did not sign (the server's onUnauthorized). @default true */
  readonly authorized?: boolean;
  /** SHA-256 fingerprint as the other end sees it. @default `fp-${name}` */
  readonly fingerprint?: string;
}

interface Door {
  readonly identity: Identity;
  readonly events: DoorEvents;
  readonly limits: DoorLimits;
}

/** A connection's pending place, as the listener's; counts what is still held. */
class FakeSlot implements PendingSlot {
  released = false;
  constructor(private network: FakeNetwork) {
    network.pendingSlots++;
  }
  startDeadline(): void {}
  handshakeDone(): void {}
  release(): void {
    if (this.released) return;
    this.released = true;
    this.network.pendingSlots--;
  }
}

export class FakeNetwork {
  #doors = new Map<string, Door>();
  #refused = new Set<string>();
  #failures = new Map<string, string>();
  #live = new Map<string, Set<MemoryStream>>();
  #clientPorts = 40000;
  /** Dial attempts per endpoint, with the time of each (performance.now()). */
  readonly dials = new Map<string, number[]>();
  /** Connections holding a pending place (accepted, no session open yet). */
  pendingSlots = 0;

  /** The transport of a server with certificate `identity`: it listens where it is told. */
  serverTransport(identity: Identity, endpoint: Endpoint): ServerTransport {
    return {
      listen: (events, limits) => Promise.resolve(this.#listen(identity, endpoint, events, limits)),
    };
  }

  /** The transport of a client with certificate `identity`. */
  clientTransport(identity: Identity): ClientTransport {
    return { dial: (server) => this.#dial(identity, key(server)) };
  }

  /** Dials to `endpoint` are refused (true) or reach it again (false). */
  refuse(endpoint: string, refused = true): void {
    if (refused) this.#refused.add(endpoint);
    else this.#refused.delete(endpoint);
  }

  /** Dials to `endpoint` fail with `reason` until fail(endpoint, undefined). */
  fail(endpoint: string, reason: string | undefined): void {
    if (reason === undefined) this.#failures.delete(endpoint);
    else this.#failures.set(endpoint, reason);
  }

  /** Ends every live connection to `endpoint` at once, as a lost network path would. */
  drop(endpoint: string): void {
    for (const stream of this.#live.get(endpoint) ?? []) {
      stream.destroy(new Error("connection reset by peer"));
    }
  }

  /** Resets the one live connection to `endpoint` that the server sees from `remote`. */
  reset(endpoint: string, remote: string): void {
    for (const stream of this.#live.get(endpoint) ?? []) {
      if (stream.peer.info.remote === remote) stream.destroy(new Error("connection reset by peer"));
    }
  }

  /** Live connections to `endpoint`. */
  connections(endpoint: string): number {
    return this.#live.get(endpoint)?.size ?? 0;
  }

  #listen(
    identity: Identity,
    endpoint: Endpoint,
    events: DoorEvents,
    limits: DoorLimits,
  ): ListeningDoor {
    const where = key(endpoint);
    if (this.#doors.has(where)) {
      throw new Error(`cannot listen on ${where}: address already in use`);
    }
    this.#doors.set(where, { identity, events, limits });
    return {
      endpoint,
      accepting: true,
      lost: new Promise<string>(() => {}),
      close: () => {
        this.#doors.delete(where);
        return Promise.resolve();
      },
    };
  }

  async #dial(client: Identity, where: string) {
    this.dials.set(where, [...(this.dials.get(where) ?? []), performance.now()]);
    await Promise.resolve();
    const failure = this.#failures.get(where);
    if (failure !== undefined) throw new Error(`cannot connect to ${where}: ${failure}`);
    const door = this.#doors.get(where);
    if (!door || this.#refused.has(where)) {
      throw new Error(`cannot connect to ${where}: connection refused`);
    }
    const remote = `198.51.100.7:${this.#clientPorts++}`;
    const [clientEnd, serverEnd] = memoryStreamPair(
      { peerName: door.identity.name, peerSerial: door.identity.serial, remote: where },
      {
        peerName: client.name,
        peerSerial: client.serial,
        remote,
        ...(client.fingerprint ? { peerFingerprint: client.fingerprint } : {}),
      },
    );
    const live = this.#live.get(where) ?? new Set();
    this.#live.set(where, live);
    live.add(clientEnd);
    clientEnd.closed.then(() => live.delete(clientEnd));
    if (client.authorized === false) {
      door.events.onUnauthorized({
        remote,
        certificate: undefined,
        resumed: false,
        refuse: (last) => {
          if (last) serverEnd.write(last).then(() => serverEnd.end());
          else serverEnd.end();
        },
      });
    } else {
      door.events.onStream(serverEnd, new FakeSlot(this));
    }
    return clientEnd;
  }
}

function key(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}
