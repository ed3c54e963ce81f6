/** ClientAdmission on a reload of the registry, and the leases of revoked certificates. Pure. */
import assert from "node:assert/strict";
import type { ClientRegistryConfig, RegisteredClient } from "../../src/config/types.ts";
import { CloseCode, statedPrefix } from "../../src/frame/control.ts";
import { formatPrefix, prefix } from "../../src/ip/prefix.ts";
import { type Claim, ClientAdmission } from "../../src/server/admission.ts";

/** What a Hello stating these addresses claims, parsed as the session reads it. */
function claim(address: string, address6?: string): Claim {
  return {
    address: statedPrefix(address),
    ...(address6 === undefined ? {} : { address6: statedPrefix(address6) }),
  };
}

interface FakePeer {
  readonly connection: { readonly peerName: string; readonly remote: string; peerSerial: string };
}

let port = 40000;
function peer(name: string, serial = name.toUpperCase()): FakePeer {
  return { connection: { peerName: name, remote: `198.18.0.2:${port++}`, peerSerial: serial } };
}

function entry(name: string, address: string, routes: string[] = []): RegisteredClient {
  return { name, allow: true, addresses: [prefix(address)], routes: routes.map(prefix) };
}

function registry(clients: RegisteredClient[]): ClientRegistryConfig {
  return { clients, unlisted: "refuse" };
}

function admission(clients: RegisteredClient[]) {
  return new ClientAdmission<FakePeer>({
    tunnel4: prefix("10.0.0.1/24"),
    registry: registry(clients),
    maxClients: 10,
  });
}

Deno.test("update() refuses removed and re-pinned names, keeps the rest, and moves changed routes", () => {
  const table = admission([
    entry("keep", "10.0.0.2"),
    entry("gone", "10.0.0.3"),
    entry("moved", "10.0.0.4"),
    entry("branch", "10.0.0.5", ["192.168.1.0/24"]),
  ]);
  const [keep, gone, moved, branch] = ["keep", "gone", "moved", "branch"].map((n) => peer(n));
  table.admit(claim("10.0.0.2/24"), keep!);
  table.admit(claim("10.0.0.3/24"), gone!);
  table.admit(claim("10.0.0.4/24"), moved!);
  table.admit(claim("10.0.0.5/24"), branch!);
  const update = table.update({
    registry: registry([
      entry("keep", "10.0.0.2"),
      entry("moved", "10.0.0.14"),
      entry("branch", "10.0.0.5", ["192.168.2.0/24"]),
    ]),
    maxClients: 10,
  });
  assert.deepEqual(
    update.refused.map(({ peer, refusal }) => [peer.connection.peerName, refusal.code]),
    [["gone", CloseCode.CertificateRefused], ["moved", CloseCode.AddressRejected]],
  );
  assert.deepEqual(
    update.rerouted.map((r) => [
      r.peer.connection.peerName,
      r.install.map(formatPrefix),
      r.uninstall.map(formatPrefix),
    ]),
    [["branch", ["192.168.2.0/24"], ["192.168.1.0/24"]]],
  );
  assert.equal(table.routes.get(prefix("192.168.2.0/24")), branch);
  assert.equal(table.routes.get(prefix("192.168.1.0/24")), undefined);
  assert.equal(table.holder("keep"), keep);
});

Deno.test("update() closes an unlisted session whose address the registry now pins to another name", () => {
  const table = new ClientAdmission<FakePeer>({
    tunnel4: prefix("10.0.0.1/24"),
    registry: { clients: [], unlisted: "allow" },
    maxClients: 10,
  });
  const squatter = peer("squatter");
  table.admit(claim("10.0.0.9/24"), squatter);
  const update = table.update({
    registry: { clients: [entry("owner", "10.0.0.9")], unlisted: "allow" },
    maxClients: 10,
  });
  assert.equal(update.refused[0]?.peer, squatter);
  assert.match(update.refused[0]!.refusal.message, /10\.0\.0\.9 now belongs to client owner/);
});

Deno.test("a lease ends with release({ lease: false }) and with endLeasesOf() for a revoked serial", () => {
  const table = new ClientAdmission<FakePeer>({ tunnel4: prefix("10.0.0.1/24"), maxClients: 10 });
  const first = peer("laptop", "A1");
  table.admit(claim("10.0.0.9/24"), first);
  table.release(first);
  assert.throws(() => table.admit(claim("10.0.0.9/24"), peer("other")), /reserved for/);
  table.endLeasesOf((serial) => serial === "B2");
  assert.throws(() => table.admit(claim("10.0.0.9/24"), peer("other")), /reserved for/);
  table.endLeasesOf((serial) => serial === "A1");
  const other = peer("other");
  table.admit(claim("10.0.0.9/24"), other);
  table.release(other, { lease: false });
  table.admit(claim("10.0.0.9/24"), peer("third"));
});
