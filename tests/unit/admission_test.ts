import assert from "node:assert/strict";
import { CloseCode } from "../../src/frame/control.ts";
import { parseIpv4 } from "../../src/ip/ipv4.ts";
import { AddressAdmission } from "../../src/server/admission.ts";
import { SessionRefusal } from "../../src/session/session.ts";

function peer(name: string, fingerprint = `fp-${name}`) {
  return { connection: { peerName: name, peerFingerprint: fingerprint } };
}

function admission() {
  return new AddressAdmission<ReturnType<typeof peer>>(parseIpv4("10.0.0.1"), 24);
}

function refusal(fn: () => unknown, code: CloseCode, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SessionRefusal, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("AddressAdmission routes the claimed address to the client", () => {
  const table = admission();
  const web1 = peer("web1");
  const { address, replaced } = table.admit("10.0.0.2/24", web1);
  assert.equal(address, parseIpv4("10.0.0.2"));
  assert.equal(replaced, undefined);
  assert.equal(table.routes.lookup(address), web1);
});

Deno.test("AddressAdmission refuses claims outside the tunnel network, and the server's own address", () => {
  const table = admission();
  refusal(() => table.admit("10.0.1.2/24", peer("a")), CloseCode.AddressRejected, /outside/);
  refusal(() => table.admit("10.0.0.1/24", peer("a")), CloseCode.AddressRejected, /server's own/);
  refusal(() => table.admit("nonsense", peer("a")), CloseCode.AddressRejected, /not IPv4\/prefix/);
  assert.equal(table.routes.size, 0);
});

Deno.test("AddressAdmission refuses the network and broadcast addresses and another prefix", () => {
  const table = admission();
  refusal(
    () => table.admit("10.0.0.0/24", peer("a")),
    CloseCode.AddressRejected,
    /network address/,
  );
  refusal(
    () => table.admit("10.0.0.255/24", peer("a")),
    CloseCode.AddressRejected,
    /broadcast address/,
  );
  refusal(
    () => table.admit("10.0.0.2/16", peer("a")),
    CloseCode.AddressRejected,
    /prefix \/16, the tunnel network is 10\.0\.0\.0\/24/,
  );
  refusal(() => table.admit("10.0.0.2/32", peer("a")), CloseCode.AddressRejected, /prefix \/32/);
});

Deno.test("AddressAdmission refuses an address held by another certificate", () => {
  const table = admission();
  const web1 = peer("web1");
  table.admit("10.0.0.2/24", web1);
  refusal(
    () => table.admit("10.0.0.2/24", peer("intruder")),
    CloseCode.AddressInUse,
    /10\.0\.0\.2 is in use by client web1/,
  );
  assert.equal(table.routes.lookup(parseIpv4("10.0.0.2")), web1, "the holder keeps its route");
});

Deno.test("AddressAdmission lets the same certificate replace its older session", () => {
  const table = admission();
  const old = peer("web1", "same");
  const fresh = peer("web1", "same");
  table.admit("10.0.0.2/24", old);
  const { replaced, address } = table.admit("10.0.0.2/24", fresh);
  assert.equal(replaced, old);
  assert.equal(table.routes.lookup(address), fresh);
  table.release(address, old);
  assert.equal(table.routes.lookup(address), fresh, "the old session's end keeps the new route");
  table.release(address, fresh);
  assert.equal(table.routes.lookup(address), undefined);
});
