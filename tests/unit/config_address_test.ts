import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { ipv4Prefix, prefix } from "../../src/ip/prefix.ts";
import { onlyProblem, problems, TLS } from "../lib/config_text.ts";

/** A server file whose third line is `address: ${address}`. */
function server(address: string, more = ""): string {
  return `mode: server\nlisten: 0.0.0.0:443\naddress: ${address}\n${more}${TLS}`;
}

function client(address: string): string {
  return `mode: client\nserver: 192.0.2.1:443\naddress: ${address}\n${TLS}`;
}

Deno.test("address: a list of an IPv4 and an IPv6 address gives address and address6", () => {
  for (
    const text of [server(`[10.0.0.1/24, "fd00:5::1/64"]`), client(`[fd00:5::2/64, 10.0.0.2/24]`)]
  ) {
    const config = parseConfig(text, "s.yaml");
    assert.equal(config.address.length, 24);
    assert.deepEqual(
      config.address6,
      prefix(config.mode === "server" ? "fd00:5::1/64" : "fd00:5::2/64"),
    );
  }
  const listOfOne = parseConfig(server("[10.0.0.1/24]"), "s.yaml");
  assert.deepEqual(listOfOne.address, ipv4Prefix("10.0.0.1/24"));
  assert.ok(!("address6" in listOfOne), "no IPv6 address: no address6 key");
  const block = parseConfig(server(`\n  - 10.0.0.1/24\n  - "fd00:5::1/127"`), "s.yaml");
  assert.equal(block.address6?.length, 127);
});

Deno.test("address: the IPv6 entry's prefix length is 1..128 and it is a host address", () => {
  assert.equal(parseConfig(server(`[10.0.0.1/24, "fd00:5::1/128"]`), "s").address6?.length, 128);
  assert.equal(parseConfig(server(`[10.0.0.1/24, "2001:db8::1/1"]`), "s").address6?.length, 1);
  // /127 and /128 have no subnet-router address: the all-zero host is usable (RFC 6164).
  assert.equal(parseConfig(server(`[10.0.0.1/24, "fd00:5::/127"]`), "s").address6?.length, 127);
  const cases: [string, string][] = [
    [
      "fd00:5::1",
      '"fd00:5::1" has no prefix length; expected an IPv6 address with its prefix length, e.g. fd00:5::1/64',
    ],
    ["fd00:5::1/0", '"fd00:5::1/0" has prefix length "0"; expected a number from 1 to 128'],
    ["fd00:5::1/129", '"fd00:5::1/129" has prefix length "129"; expected a number from 1 to 128'],
    [
      "fd00:5::/64",
      '"fd00:5::/64" is the network address of fd00:5::/64; use a host address such as fd00:5::1/64',
    ],
    [
      "fd00:zz::1/64",
      '"fd00:zz::1/64" does not start with an IPv6 address; expected an IPv6 address with its prefix length, e.g. fd00:5::1/64',
    ],
    ["fe80::1/64", '"fe80::1/64" is a link-local address; expected an IPv6 address'],
    ["ff02::1/64", '"ff02::1/64" is a multicast address; expected an IPv6 address'],
    ["::1/128", '"::1/128" is a loopback address; expected an IPv6 address'],
    ["::ffff:10.0.0.1/120", '"::ffff:10.0.0.1/120" is an IPv4-mapped address'],
  ];
  for (const [entry, message] of cases) {
    const problem = onlyProblem(server(`[10.0.0.1/24, "${entry}"]`));
    assert.deepEqual([problem.path, problem.line], ["address[1]", 3], entry);
    assert.ok(problem.message.startsWith(message), `${entry}: ${problem.message}`);
  }
});

Deno.test("address: exactly one IPv4 entry and at most one IPv6, said on the entry's line", () => {
  assert.deepEqual(onlyProblem(server(`"fd00:5::1/64"`)), {
    path: "address",
    line: 3,
    message:
      '"fd00:5::1/64" is an IPv6 address, and the tunnel needs an IPv4 one too, e.g. address: [10.0.0.1/24, "fd00:5::1/64"]',
  });
  assert.deepEqual(
    problems(server(`\n  - "fd00:5::1/64"\n  - "fd00:6::1/64"`)).map((
      p,
    ) => [p.path, p.line, p.message]),
    [
      [
        "address",
        3,
        'the list has no IPv4 address, and the tunnel needs one, e.g. address: [10.0.0.1/24, "fd00:5::1/64"]',
      ],
      [
        "address[1]",
        5,
        '"fd00:6::1/64" is a second IPv6 address; the tunnel has one IPv4 address and at most one IPv6 address',
      ],
    ],
  );
  assert.deepEqual(onlyProblem(server("[10.0.0.1/24, 10.0.1.1/24]")), {
    path: "address[1]",
    line: 3,
    message:
      '"10.0.1.1/24" is a second IPv4 address; the tunnel has one IPv4 address and at most one IPv6 address',
  });
  assert.match(
    onlyProblem(server(`[10.0.0.1/24, "fd00::1/64", 10.0.1.1/24]`)).message,
    /^a list of 3 entries; at most 2 allowed: an IPv4 address with its prefix length/,
  );
  assert.match(onlyProblem(server("[]")).message, /^an empty list; expected an IPv4 address/);
  assert.match(
    onlyProblem(server("{ ip: 10.0.0.1 }")).message,
    /^a mapping is not an interface address; expected an IPv4 address/,
  );
});

Deno.test("address: a list entry keeps the IPv4 checks, placed on the entry", () => {
  const problem = onlyProblem(server(`\n  - "fd00:5::1/64"\n  - 10.0.0.255/24`));
  assert.deepEqual(problem, {
    path: "address[1]",
    line: 5,
    message:
      '"10.0.0.255/24" is the broadcast address of 10.0.0.0/24; use a host address such as 10.0.0.1/24',
  });
  assert.match(
    onlyProblem(server(`[10.0.0.1/33, "fd00:5::1/64"]`)).message,
    /^"10\.0\.0\.1\/33" has prefix length "33"; expected a number from 1 to 32$/,
  );
});

Deno.test("network.clamp_mss defaults to true and takes false", () => {
  assert.equal(parseConfig(server("10.0.0.1/24"), "s").network.clampMss, true);
  assert.equal(
    parseConfig(server("10.0.0.1/24", "network:\n  clamp_mss: false\n"), "s").network.clampMss,
    false,
  );
  assert.deepEqual(onlyProblem(server("10.0.0.1/24", "network:\n  clamp_mss: off\n")), {
    path: "network.clamp_mss",
    line: 5,
    message: '"off" is not true or false; expected true or false',
  });
});

Deno.test("addresses: a common slip is named with what to write, on its key and line", () => {
  const cases: Array<[string, string, string, number, string]> = [
    [
      "leading zero (octal to some tools)",
      server("010.0.0.1/24"),
      "address",
      3,
      '"010.0.0.1/24" has an octet with a leading zero, which some tools read as octal; write 10.0.0.1/24',
    ],
    [
      "IPv6 zone on the tunnel address",
      server(`[10.0.0.1/24, "fd00:5::1%eth0/64"]`),
      "address[1]",
      3,
      '"fd00:5::1%eth0/64" has a zone (%eth0), which a tunnel address or network never has; write fd00:5::1/64',
    ],
    [
      "leading zero in a route",
      `${client("10.0.0.2/24")}routes: [192.168.010.0/24]\n`,
      "routes[0]",
      9,
      '"192.168.010.0/24" has an octet with a leading zero, which some tools read as octal; write 192.168.10.0/24',
    ],
    [
      "IPv6 zone in a pushed route",
      server("10.0.0.1/24", `push_routes: ["fd00:1::%2/64"]\n`),
      "push_routes[0]",
      4,
      '"fd00:1::%2/64" has a zone (%2), which a tunnel address or network never has; write fd00:1::/64',
    ],
    [
      "IPv4-mapped IPv6 client address",
      server(
        `[10.0.0.1/24, "fd00:5::1/64"]`,
        `clients:\n  - name: web1\n    address: "::ffff:10.0.0.11"\n`,
      ),
      "clients[0].address",
      6,
      '"::ffff:10.0.0.11" is an IPv4-mapped IPv6 address; write the IPv4 address 10.0.0.11 instead',
    ],
    [
      "leading zero in a client address",
      server("10.0.0.1/24", `clients:\n  - name: web1\n    address: 10.0.0.011\n`),
      "clients[0].address",
      6,
      '"10.0.0.011" has an octet with a leading zero, which some tools read as octal; write 10.0.0.11',
    ],
    [
      "prefix length beyond the family",
      `${client("10.0.0.2/24")}routes: ["fd00:1::/129"]\n`,
      "routes[0]",
      9,
      '"fd00:1::/129" has prefix length "129"; expected a number from 1 to 128',
    ],
    [
      "host bits in a network",
      server("10.0.0.1/24", "reachable: [192.168.1.1/24]\n"),
      "reachable[0]",
      4,
      '"192.168.1.1/24" has host bits set; did you mean 192.168.1.0/24?',
    ],
  ];
  for (const [what, text, path, line, message] of cases) {
    assert.deepEqual(onlyProblem(text), { path, line, message }, what);
  }
});

Deno.test("addresses: a zone stays allowed where a host is named (listen, server, monitoring)", () => {
  const config = parseConfig(
    `mode: server\nlisten: "[fe80::1%eth0]:443"\naddress: 10.0.0.1/24\n${TLS}`,
    "s.yaml",
  );
  assert.equal(config.mode === "server" && config.listen.host, "fe80::1%eth0");
});
