import assert from "node:assert/strict";
import { openvpnArgs } from "../../tools/bench/openvpn.ts";

const COMMON = { certDir: "/tmp/certs", serverIp: "198.18.0.1" } as const;

/** The value(s) after `flag`, or undefined when the flag is absent. */
function option(args: string[], flag: string, count = 1): string[] | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args.slice(at + 1, at + 1 + count);
}

Deno.test("openvpnArgs() makes the server a TCP TLS server on the underlay address", () => {
  const args = openvpnArgs({ ...COMMON, role: "server", logPath: "/tmp/s.log" });
  assert.deepEqual(option(args, "--proto"), ["tcp-server"]);
  assert.deepEqual(option(args, "--local"), ["198.18.0.1"]);
  assert.deepEqual(option(args, "--lport"), ["1194"]);
  assert.deepEqual(option(args, "--ifconfig", 2), ["10.8.0.1", "10.8.0.2"]);
  assert.deepEqual(option(args, "--dh"), ["none"]);
  assert.ok(args.includes("--tls-server"));
  assert.equal(args.includes("--remote-cert-tls"), false);
  assert.deepEqual(option(args, "--cert"), ["/tmp/certs/server.crt"]);
  assert.deepEqual(option(args, "--key"), ["/tmp/certs/server.key"]);
  assert.deepEqual(option(args, "--log"), ["/tmp/s.log"]);
});

Deno.test("openvpnArgs() makes the client dial the server and require a server certificate", () => {
  const args = openvpnArgs({ ...COMMON, role: "client", logPath: "/tmp/c.log", port: 4443 });
  assert.deepEqual(option(args, "--proto"), ["tcp-client"]);
  assert.deepEqual(option(args, "--remote", 2), ["198.18.0.1", "4443"]);
  assert.deepEqual(option(args, "--ifconfig", 2), ["10.8.0.2", "10.8.0.1"]);
  assert.deepEqual(option(args, "--remote-cert-tls"), ["server"]);
  assert.ok(args.includes("--tls-client"));
  assert.deepEqual(option(args, "--cert"), ["/tmp/certs/client.crt"]);
});

Deno.test("openvpnArgs() pins AES-256-GCM, TLS 1.2+, the shared CA, MTU 1500 and no DCO", () => {
  for (const role of ["server", "client"] as const) {
    const args = openvpnArgs({ ...COMMON, role, logPath: "/tmp/x.log" });
    assert.deepEqual(option(args, "--data-ciphers"), ["AES-256-GCM"]);
    assert.deepEqual(option(args, "--tls-version-min"), ["1.2"]);
    assert.deepEqual(option(args, "--ca"), ["/tmp/certs/ca.crt"]);
    assert.deepEqual(option(args, "--tun-mtu"), ["1500"]);
    assert.deepEqual(option(args, "--dev-type"), ["tun"]);
    assert.ok(args.includes("--disable-dco"));
    assert.ok(args.includes("--tcp-nodelay"), "OpenVPN gets its low-latency TCP setting");
    assert.equal(args.includes("--daemon"), false);
  }
});
