import assert from "node:assert/strict";
import type { ClientRegistryConfig, RegisteredClient } from "../../src/config/types.ts";
import { CloseCode, statedPrefix } from "../../src/frame/control.ts";
import { formatPrefix, prefix } from "../../src/ip/prefix.ts";
import { type AdmissionPolicy, type Claim, ClientAdmission } from "../../src/server/admission.ts";
import { SessionRefusal } from "../../src/session/session.ts";

/** What a Hello stating these addresses claims, parsed as the session reads it. */
function claim(address: string, address6?: string): Claim {
  return {
    address: statedPrefix(address),
    ...(address6 === undefined ? {} : { address6: statedPrefix(address6) }),
  };
}

interface FakePeer {
  readonly connection: { readonly peerName: string; readonly remote: string };
}

function peer(name: string, remote = "198.18.0.2:40000"): FakePeer {
  return { connection: { peerName: name, remote } };
}

class Clock {
  ms = 1_000_000;
  readonly now = () => this.ms;
}

function admission(options: Partial<AdmissionPolicy> = {}, clock = new Clock()) {
  return new ClientAdmission<FakePeer>({
    tunnel4: prefix("10.0.0.1/24"),
    tunnel6: prefix("fd00:5::1/64"),
    maxClients: 1000,
    ...options,
  }, clock.now);
}

function registered(name: string, addresses: string[] = [], routes: string[] = []) {
  return {
    name,
    allow: true,
    addresses: addresses.map(prefix),
    routes: routes.map(prefix),
  } satisfies RegisteredClient;
}

function registry(
  clients: RegisteredClient[],
  unlisted: ClientRegistryConfig["unlisted"] = "refuse",
): ClientRegistryConfig {
  return { clients, unlisted };
}

function refusal(fn: () => unknown, code: CloseCode, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SessionRefusal, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  });
}

const v4 = (text: string) => prefix(text).bytes;

Deno.test("ClientAdmission routes the claimed addresses of both families to the client", () => {
  const table = admission();
  const web1 = peer("web1");
  const { addresses, replaced } = table.admit(
    claim("10.0.0.2/24", "fd00:5::2/64"),
    web1,
  );
  assert.deepEqual(addresses.map(formatPrefix), ["10.0.0.2/32", "fd00:5::2/128"]);
  assert.equal(replaced, undefined);
  assert.equal(table.routes.lookup(v4("10.0.0.2")), web1);
  assert.equal(table.routes.lookup(prefix("fd00:5::2").bytes), web1);
  assert.equal(table.routes.lookup(prefix("fd00:5::3").bytes), undefined);
  assert.equal(table.sessions, 1);
});

Deno.test("ClientAdmission refuses claims outside the tunnel network, and the server's own address", () => {
  const table = admission();
  const a = peer("a");
  refusal(() => table.admit(claim("10.0.1.2/24"), a), CloseCode.AddressRejected, /outside/);
  refusal(
    () => table.admit(claim("10.0.0.1/24"), a),
    CloseCode.AddressRejected,
    /server's own/,
  );
  refusal(
    () => table.admit(claim("nonsense"), a),
    CloseCode.AddressRejected,
    /not IPv4\/prefix/,
  );
  refusal(
    () => table.admit(claim("10.0.0.2/24", "fd00:6::2/64"), a),
    CloseCode.AddressRejected,
    /outside the tunnel network fd00:5::\/64/,
  );
  refusal(
    () => table.admit(claim("10.0.0.2/24", "fd00:5::1/64"), a),
    CloseCode.AddressRejected,
    /server's own/,
  );
  assert.equal(table.routes.size, 0);
  assert.equal(table.sessions, 0);
});

Deno.test("ClientAdmission refuses the network and broadcast addresses and another prefix", () => {
  const table = admission();
  const a = peer("a");
  refusal(
    () => table.admit(claim("10.0.0.0/24"), a),
    CloseCode.AddressRejected,
    /network address/,
  );
  refusal(
    () => table.admit(claim("10.0.0.255/24"), a),
    CloseCode.AddressRejected,
    /broadcast address/,
  );
  refusal(
    () => table.admit(claim("10.0.0.2/16"), a),
    CloseCode.AddressRejected,
    /prefix \/16, the tunnel network is 10\.0\.0\.0\/24/,
  );
  refusal(
    () => table.admit(claim("10.0.0.2/24", "fd00:5::/64"), a),
    CloseCode.AddressRejected,
    /network address/,
  );
});

Deno.test("ClientAdmission refuses IPv6 when the server has no IPv6 tunnel address", () => {
  const table = new ClientAdmission<FakePeer>({
    tunnel4: prefix("10.0.0.1/24"),
    maxClients: 10,
  });
  refusal(
    () => table.admit(claim("10.0.0.2/24", "fd00:5::2/64"), peer("a")),
    CloseCode.AddressRejected,
    /server has no IPv6 tunnel address/,
  );
});

Deno.test("ClientAdmission refuses an address held by another name; the holder keeps it", () => {
  const table = admission();
  const web1 = peer("web1");
  table.admit(claim("10.0.0.2/24"), web1);
  refusal(
    () => table.admit(claim("10.0.0.2/24"), peer("intruder")),
    CloseCode.AddressInUse,
    /10\.0\.0\.2 is in use by client web1/,
  );
  assert.equal(table.routes.lookup(v4("10.0.0.2")), web1);
});

Deno.test("ClientAdmission: one name holds one session and never a second address", () => {
  const table = admission();
  const first = peer("web1");
  table.admit(claim("10.0.0.2/24"), first);
  // The same certificate claiming another address replaces its session instead of adding one.
  const second = peer("web1");
  const { replaced } = table.admit(claim("10.0.0.3/24"), second);
  assert.equal(replaced, first);
  assert.equal(table.sessions, 1);
  assert.equal(table.routes.lookup(v4("10.0.0.2")), undefined, "the old address is freed");
  assert.equal(table.routes.lookup(v4("10.0.0.3")), second);
  // The replaced session's end changes nothing.
  assert.deepEqual(table.release(first), []);
  assert.equal(table.routes.lookup(v4("10.0.0.3")), second);
  table.release(second);
  assert.equal(table.routes.size, 0);
  assert.equal(table.sessions, 0);
});

Deno.test("ClientAdmission keeps a departed client's address for it, so nobody else takes it over", () => {
  const clock = new Clock();
  const table = admission({ leaseMs: 300_000 }, clock);
  const web1 = peer("web1");
  table.admit(claim("10.0.0.2/24"), web1);
  table.release(web1);
  clock.ms += 41; // the attacker of the issue came 41 ms later
  refusal(
    () => table.admit(claim("10.0.0.2/24"), peer("intruder")),
    CloseCode.AddressInUse,
    /reserved for client web1, which left 0 s ago \(for 300 s more\)/,
  );
  // The owner comes back and gets it.
  const back = peer("web1");
  table.admit(claim("10.0.0.2/24"), back);
  assert.equal(table.routes.lookup(v4("10.0.0.2")), back);
  table.release(back);
  // After the lease, the address is free for anyone.
  clock.ms += 300_001;
  const other = peer("other");
  table.admit(claim("10.0.0.2/24"), other);
  assert.equal(table.routes.lookup(v4("10.0.0.2")), other);
});

Deno.test("ClientAdmission: a registry pins addresses, routes networks, refuses by name", () => {
  const table = admission({
    registry: registry([
      registered("web1", ["10.0.0.11", "fd00:5::11"], ["192.168.10.0/24", "fd00:10::/64"]),
      { ...registered("old-laptop"), allow: false },
      registered("free"),
    ]),
  });
  const web1 = peer("web1");
  refusal(
    () => table.admit(claim("10.0.0.12/24"), web1),
    CloseCode.AddressRejected,
    /client web1 claims 10\.0\.0\.12, but the server's clients list gives it 10\.0\.0\.11; set its address to 10\.0\.0\.11\/24/,
  );
  const admitted = table.admit(claim("10.0.0.11/24", "fd00:5::11/64"), web1);
  assert.deepEqual(admitted.routes.map(formatPrefix), ["192.168.10.0/24", "fd00:10::/64"]);
  assert.deepEqual(admitted.install.map(formatPrefix), ["192.168.10.0/24", "fd00:10::/64"]);
  assert.equal(table.routes.lookup(v4("192.168.10.77")), web1);
  assert.equal(table.routes.lookup(prefix("fd00:10::99").bytes), web1);

  assert.match(table.screen("old-laptop")!.message, /refused by the server's clients list/);
  assert.match(
    table.screen("stranger")!.message,
    /not in the server's clients list; add it there \(or set unlisted: allow\)/,
  );
  assert.equal(table.screen("stranger")!.code, CloseCode.CertificateRefused);
  // A listed name without pinned addresses takes a free one, but never another's pinned one.
  refusal(
    () => table.admit(claim("10.0.0.11/24"), peer("free")),
    CloseCode.AddressInUse,
    /belongs to client web1/,
  );
  table.admit(claim("10.0.0.20/24"), peer("free"));
  // Its session ends: the routes are to be removed.
  assert.deepEqual(table.release(web1).map(formatPrefix), ["192.168.10.0/24", "fd00:10::/64"]);
  assert.equal(table.routes.lookup(v4("192.168.10.77")), undefined);
});

Deno.test("ClientAdmission with unlisted: allow keeps pinned addresses for their names", () => {
  const table = admission({ registry: registry([registered("web1", ["10.0.0.11"])], "allow") });
  assert.equal(table.screen("guest"), undefined);
  refusal(
    () => table.admit(claim("10.0.0.11/24"), peer("guest")),
    CloseCode.AddressInUse,
    /belongs to client web1 in the server's clients list/,
  );
  refusal(
    () => table.admit(claim("10.0.0.11/24", "fd00:5::11/64"), peer("web1")),
    CloseCode.AddressRejected,
    /gives it no IPv6 address/,
  );
});

Deno.test("ClientAdmission: a replacement keeps the routes installed, only the holder's end removes them", () => {
  const table = admission({ registry: registry([registered("web1", [], ["192.168.10.0/24"])]) });
  const first = peer("web1");
  assert.equal(table.admit(claim("10.0.0.2/24"), first).install.length, 1);
  const second = peer("web1");
  const again = table.admit(claim("10.0.0.2/24"), second);
  assert.equal(again.replaced, first);
  assert.deepEqual(again.install, [], "already installed");
  assert.deepEqual(again.uninstall, []);
  assert.deepEqual(table.release(first), []);
  assert.equal(table.routes.lookup(v4("192.168.10.1")), second);
});

Deno.test("ClientAdmission stops two hosts sharing one certificate from flapping", () => {
  const clock = new Clock();
  const table = admission({ flapLimit: 3, flapWindowMs: 60_000 }, clock);
  const hostA = (n: number) => peer("shared", `198.18.0.2:${n}`);
  const hostB = (n: number) => peer("shared", `198.18.0.7:${n}`);
  let holder = hostA(1);
  table.admit(claim("10.0.0.2/24"), holder);
  for (let i = 0; i < 3; i++) {
    clock.ms += 500;
    const next = i % 2 === 0 ? hostB(i) : hostA(i);
    assert.equal(table.admit(claim("10.0.0.2/24"), next).replaced, holder);
    table.release(holder);
    holder = next;
  }
  clock.ms += 500;
  refusal(
    () => table.admit(claim("10.0.0.2/24"), hostA(9)),
    CloseCode.Duplicate,
    /certificate shared is connected from 198\.18\.0\.7:\d+ and 198\.18\.0\.2:9, which replaced each other more than 3 times in 60 s: refused while the other session lasts; give each host its own certificate/,
  );
  assert.equal(table.holder("shared"), holder, "the session in place stays");
  // Held back even after the window, while the holder lasts...
  clock.ms += 120_000;
  assert.equal(table.screen("shared")?.code, CloseCode.Duplicate);
  // ...and free again once it has gone.
  table.release(holder);
  assert.equal(table.screen("shared"), undefined);
  table.admit(claim("10.0.0.2/24"), hostA(10));
});

Deno.test("ClientAdmission: replacements spread over time are not flapping", () => {
  const clock = new Clock();
  const table = admission({}, clock);
  let holder = peer("laptop");
  table.admit(claim("10.0.0.2/24"), holder);
  for (let i = 0; i < 10; i++) {
    clock.ms += 30_000;
    const next = peer("laptop", `203.0.113.${i}:1`);
    table.admit(claim("10.0.0.2/24"), next);
    holder = next;
  }
  assert.equal(table.holder("laptop"), holder);
});

Deno.test("ClientAdmission refuses the client beyond max_clients, but not a reconnecting one", () => {
  const table = admission({ maxClients: 2 });
  const a = peer("a");
  table.admit(claim("10.0.0.2/24"), a);
  table.admit(claim("10.0.0.3/24"), peer("b"));
  const full = table.screen("c");
  assert.equal(full?.code, CloseCode.ServerFull);
  assert.match(full!.message, /max_clients \(2\)/);
  refusal(
    () => table.admit(claim("10.0.0.4/24"), peer("c")),
    CloseCode.ServerFull,
    /full|max/,
  );
  assert.equal(table.screen("a"), undefined, "a reconnecting name replaces, it does not add");
  table.release(a);
  assert.equal(table.screen("c"), undefined);
});
