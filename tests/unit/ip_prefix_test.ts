import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress } from "../../src/ip/address.ts";
import {
  broadcastOf,
  contains,
  formatPrefix,
  ipv4Prefix,
  ipv6Prefix,
  networkOf,
  parsePrefix,
  prefix,
} from "../../src/ip/prefix.ts";

Deno.test("broadcastOf() is the last address of a prefix, host bits set, of either family", () => {
  assert.equal(formatAddress(broadcastOf(prefix("10.0.0.1/24"))), "10.0.0.255");
  assert.equal(formatAddress(broadcastOf(prefix("192.168.4.0/22"))), "192.168.7.255");
  assert.equal(formatAddress(broadcastOf(prefix("10.0.0.7/32"))), "10.0.0.7");
  assert.equal(formatAddress(broadcastOf(prefix("fd00:5::1/64"))), "fd00:5::ffff:ffff:ffff:ffff");
  fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (address, length) => {
    const p = prefix(`${address}/${length}`);
    const last = broadcastOf(p);
    assert.ok(contains(networkOf(p), last));
    assert.ok(contains(p, p.bytes));
  }));
});

Deno.test("ipv4Prefix() and ipv6Prefix() refuse the other family; parsePrefix() names what is wrong", () => {
  assert.equal(ipv4Prefix("10.0.0.1/24").family, 4);
  assert.equal(ipv6Prefix("fd00::1/64").family, 6);
  assert.throws(() => ipv4Prefix("fd00::1/64"), TypeError, "not an IPv4 prefix");
  assert.throws(() => ipv6Prefix("10.0.0.1/24"), TypeError, "not an IPv6 prefix");
  assert.equal(parsePrefix("10.0.0.1/33"), '"/33" is not a prefix length for IPv4 (0 to 32)');
  assert.equal(parsePrefix("010.0.0.1/8"), '"010.0.0.1" is not an IPv4 or IPv6 address');
  assert.equal(formatPrefix(prefix("FD00:0:0::1/64")), "fd00::1/64");
});
