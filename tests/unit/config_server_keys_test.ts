import assert from "node:assert/strict";
import fc from "fast-check";
import { parseConfig } from "../../src/config/parse.ts";
import type { ServerConfig } from "../../src/config/types.ts";
import { overlappingPairs } from "../../src/ip/overlaps.ts";
import { LIMITS } from "../../src/config/_schema.ts";
import { networkOf, overlaps, prefix } from "../../src/ip/prefix.ts";
import type { IpPrefix } from "../../src/ip/prefix.ts";
import { listed, onlyProblem, TLS } from "../lib/config_text.ts";

/** A server file; `keys` start on line 4. */
function server(keys: string, address = `[10.0.0.1/24, "fd00:5::1/64"]`): string {
  return `mode: server\nlisten: 0.0.0.0:443\naddress: ${address}\n${keys}\n${TLS}`;
}

function parsed(text: string): ServerConfig {
  const config = parseConfig(text, "s.yaml");
  assert.ok(config.mode === "server");
  return config;
}

Deno.test("clients: a registry with addresses, routes and a refused name", () => {
  const config = parsed(server(`clients:
  - name: web1
    address: [10.0.0.11, "fd00:5::11"]
    routes: [192.168.10.0/24, "fd00:10::/64"]
  - name: db
    address: 10.0.0.12/32
  - name: old-laptop
    allow: false
  - name: "1001"
    address: "fd00:5::13/128"`));
  assert.deepEqual(config.registry, {
    unlisted: "refuse",
    clients: [
      {
        name: "web1",
        allow: true,
        addresses: [prefix("10.0.0.11/32"), prefix("fd00:5::11/128")],
        routes: [prefix("192.168.10.0/24"), prefix("fd00:10::/64")],
      },
      { name: "db", allow: true, addresses: [prefix("10.0.0.12/32")], routes: [] },
      { name: "old-laptop", allow: false, addresses: [], routes: [] },
      { name: "1001", allow: true, addresses: [prefix("fd00:5::13/128")], routes: [] },
    ],
  });
  assert.ok(Object.isFrozen(config.registry?.clients[0]?.routes));
  assert.equal(parsed(server("")).registry, undefined);
  assert.ok(!("registry" in parsed(server(""))), "no clients: no registry key");
});

Deno.test("unlisted: refuse by default, allow when said, and only with clients:", () => {
  assert.equal(
    parsed(server("clients: [{ name: a }]\nunlisted: allow")).registry?.unlisted,
    "allow",
  );
  assert.equal(
    parsed(server("clients: [{ name: a }]\nunlisted: refuse")).registry?.unlisted,
    "refuse",
  );
  assert.deepEqual(onlyProblem(server("unlisted: allow")), {
    path: "unlisted",
    line: 4,
    message: "unlisted only applies with a clients: list; add clients: or remove unlisted:",
  });
  assert.deepEqual(onlyProblem(server("clients: [{ name: a }]\nunlisted: alow")), {
    path: "unlisted",
    line: 5,
    message:
      '"alow" is not an unlisted policy (did you mean "allow"?); expected "refuse" or "allow"',
  });
});

Deno.test("clients: the list and its entries are checked one by one", () => {
  assert.deepEqual(listed(server("clients: []")), [[
    "clients",
    4,
    "an empty list; list the clients (- name: web1), or remove clients: to accept every certificate the CA signed",
  ]]);
  assert.match(onlyProblem(server("clients:")).message, /^no value given; list the clients/);
  assert.match(
    onlyProblem(server("clients: web1")).message,
    /^"web1" is not a list; expected a list of clients, each a mapping with the keys name/,
  );
  assert.deepEqual(
    listed(server(`clients:
  - web1
  - address: 10.0.0.11
  - name: ""
  - name: 42
  - name: "${"x".repeat(65)}"
  - name: " web6"
  - name: web7
    allow: no
  - name: web8
    adress: 10.0.0.18
  - name: web9
    zebra: 1`)),
    [
      [
        "clients[0]",
        5,
        '"web1" is not a client entry; expected a mapping with the keys name, allow, address and routes, e.g. - name: web1',
      ],
      [
        "clients[1].name",
        6,
        "missing; expected the certificate's common name, 1 to 64 characters, e.g. web1",
      ],
      [
        "clients[2].name",
        7,
        `"" has 0 characters; expected the certificate's common name, 1 to 64 characters, e.g. web1`,
      ],
      [
        "clients[3].name",
        8,
        '42 is a number, not a name; quote a name made of digits, e.g. name: "1001"',
      ],
      [
        "clients[4].name",
        9,
        `"${
          "x".repeat(65)
        }" has 65 characters; expected the certificate's common name, 1 to 64 characters, e.g. web1`,
      ],
      [
        "clients[5].name",
        10,
        `" web6" starts or ends with a space, which a common name never does; write "web6"`,
      ],
      ["clients[6].allow", 12, '"no" is not true or false; expected true or false'],
      ["clients[7].adress", 14, 'unknown key "adress" (did you mean "address"?)'],
      ["clients[8].zebra", 16, 'unknown key "zebra"; allowed here: name, allow, address, routes'],
    ],
  );
});

Deno.test("clients: addresses are host addresses, at most one of each family", () => {
  assert.deepEqual(
    listed(server(`clients:
  - name: a
    address: 10.0.0.11/24
  - name: b
    address: [10.0.0.12, 10.0.0.13]
  - name: c
    address: nowhere
  - name: d
    address: [10.0.0.14, "fd00:5::14", 10.0.0.15]`)),
    [
      [
        "clients[0].address",
        6,
        '"10.0.0.11/24" has a prefix length; a client\'s address is one host: write 10.0.0.11 (a /32 suffix is accepted too)',
      ],
      [
        "clients[1].address[1]",
        8,
        "a second IPv4 address; a client has at most one IPv4 and one IPv6 address",
      ],
      [
        "clients[2].address",
        10,
        '"nowhere" is not an IP address; expected a host address such as 10.0.0.11 or fd00:5::11',
      ],
      [
        "clients[3].address",
        12,
        'a list of 3 entries; at most 2 allowed: a host address, e.g. 10.0.0.11, or a list of one IPv4 and one IPv6 address, e.g. [10.0.0.11, "fd00:5::11"]',
      ],
    ],
  );
});

Deno.test("clients: each address lies in the tunnel network, is free and used once", () => {
  assert.deepEqual(
    listed(server(`clients:
  - name: a
    address: 10.0.0.1
  - name: b
    address: 10.0.1.3
  - name: c
    address: [10.0.0.0, "fd00:6::3"]
  - name: d
    address: [10.0.0.255, "fd00:5::1"]
  - name: e
    address: "fd00:5::"
  - name: f
    address: 10.0.0.6
  - name: g
    allow: false
    address: 10.0.0.6`)),
    [
      [
        "clients[0].address",
        6,
        "10.0.0.1 is the server's own tunnel address (address[0], line 3); choose another address in 10.0.0.0/24",
      ],
      [
        "clients[1].address",
        8,
        "10.0.1.3 is outside the tunnel network 10.0.0.0/24; choose an address inside it",
      ],
      [
        "clients[2].address[0]",
        10,
        "10.0.0.0 is the network address of 10.0.0.0/24; choose a host address inside it",
      ],
      [
        "clients[2].address[1]",
        10,
        "fd00:6::3 is outside the tunnel network fd00:5::/64; choose an address inside it",
      ],
      [
        "clients[3].address[0]",
        12,
        "10.0.0.255 is the broadcast address of 10.0.0.0/24; choose a host address inside it",
      ],
      [
        "clients[3].address[1]",
        12,
        "fd00:5::1 is the server's own tunnel address (address[1], line 3); choose another address in fd00:5::/64",
      ],
      [
        "clients[4].address",
        14,
        "fd00:5:: is the network address of fd00:5::/64; choose a host address inside it",
      ],
      [
        "clients[6].address",
        19,
        '10.0.0.6 is already the address of "f" (clients[5].address, line 16); give each client its own address',
      ],
    ],
  );
  assert.deepEqual(
    onlyProblem(server(`clients:\n  - name: a\n    address: "fd00:5::2"`, "10.0.0.1/24")),
    {
      path: "clients[0].address",
      line: 6,
      message:
        'fd00:5::2 is an IPv6 address, but the server has no IPv6 tunnel address; add one to address:, e.g. address: [10.0.0.1/24, "fd00:5::1/64"], or remove fd00:5::2',
    },
  );
  // A /31 tunnel network has no network or broadcast address to refuse.
  assert.equal(
    parsed(server(`clients:\n  - name: a\n    address: 10.0.0.0`, "10.0.0.1/31")).registry
      ?.clients[0]
      ?.addresses.length,
    1,
  );
});

Deno.test("clients: a name with a control character is refused", () => {
  assert.deepEqual(onlyProblem(server(`clients:\n  - name: "web\\t1"`)), {
    path: "clients[0].name",
    line: 5,
    message:
      `"web\\t1" has a control character; expected the certificate's common name, 1 to 64 characters, e.g. web1`,
  });
});

Deno.test("clients: names are listed once", () => {
  assert.deepEqual(listed(server(`clients:\n  - name: web1\n  - name: Web1\n  - name: web1`)), [[
    "clients[2].name",
    7,
    '"web1" is already the name of clients[0] (clients[0].name, line 5); list each certificate name once',
  ]]);
});

Deno.test("clients: routes are networks outside the tunnel, none inside another", () => {
  assert.deepEqual(
    listed(server(`clients:
  - name: a
    routes: [192.168.0.0/16, 10.0.0.0/16, "fd00:5::/48"]`)),
    [
      [
        "clients[0].routes[1]",
        6,
        "10.0.0.0/16 overlaps the tunnel network 10.0.0.0/24 (address[0], line 3); a route must lie outside the tunnel, so choose a tunnel network no route covers",
      ],
      [
        "clients[0].routes[2]",
        6,
        "fd00:5::/48 overlaps the tunnel network fd00:5::/64 (address[1], line 3); a route must lie outside the tunnel, so choose a tunnel network no route covers",
      ],
    ],
  );
  assert.deepEqual(
    onlyProblem(
      server(`clients:\n  - name: c\n    routes:\n      - 10.1.0.0/16\n      - 192.168.10.5/24`),
    ),
    {
      path: "clients[0].routes[1]",
      line: 8,
      message: '"192.168.10.5/24" has host bits set; did you mean 192.168.10.0/24?',
    },
  );
  assert.deepEqual(
    listed(server(`clients:
  - name: a
    routes: [192.168.0.0/16]
  - name: b
    routes: [172.16.0.0/12, 192.168.1.0/24]
  - name: c
    routes: [172.16.0.0/12]`)),
    [
      [
        "clients[1].routes[1]",
        8,
        '192.168.1.0/24 overlaps 192.168.0.0/16 of "a" (clients[0].routes[0], line 6); a network is routed to one client, so list each once and none inside another',
      ],
      [
        "clients[2].routes[0]",
        10,
        '172.16.0.0/12 is already listed as a route of "b" (clients[1].routes[0], line 8); a network is routed to one client, so list each once and none inside another',
      ],
    ],
  );
  assert.match(
    onlyProblem(server(`clients:\n  - name: a\n    routes: [127.0.0.0/8]`)).message,
    /^"127\.0\.0\.0\/8" overlaps the loopback range 127\.0\.0\.0\/8, which is never routed/,
  );
  assert.equal(
    parsed(server(`clients:\n  - name: a\n    routes:`)).registry?.clients[0]?.routes.length,
    0,
  );
});

Deno.test("clients: the list bounds are enforced and stated", () => {
  const routes = Array.from(
    { length: LIMITS.routesPerClient + 1 },
    (_, i) => `10.${1 + (i >> 8)}.${i & 255}.0/24`,
  );
  assert.deepEqual(
    onlyProblem(server(`clients:\n  - name: a\n    routes: [${routes}]`, "10.0.0.1/24")),
    {
      path: "clients[0].routes",
      line: 6,
      message: `${
        LIMITS.routesPerClient + 1
      } networks are too many; at most ${LIMITS.routesPerClient} are allowed`,
    },
  );
  const many = Array.from({ length: LIMITS.clients + 1 }, (_, i) => `{name: c${i}}`).join(", ");
  assert.deepEqual(onlyProblem(server(`clients: [${many}]`)), {
    path: "clients",
    line: 4,
    message: `${LIMITS.clients + 1} clients are too many; at most ${LIMITS.clients} are allowed`,
  });
  // The bound itself is accepted, and checking that many entries stays fast.
  const started = performance.now();
  const full = Array.from(
    { length: LIMITS.clients },
    (_, i) =>
      `  - name: c${i}\n    address: 10.${i >> 8}.${i & 255}.1\n    routes: [172.${
        16 + (i >> 12)
      }.${(i >> 4) & 255}.${(i & 15) * 16}/28]`,
  );
  // client_to_client: true, as more networks than one packet filter holds need (see below).
  const config = parsed(
    server(`client_to_client: true\nclients:\n${full.join("\n")}`, "10.255.255.254/8"),
  );
  assert.equal(config.registry?.clients.length, LIMITS.clients);
  assert.ok(performance.now() - started < 20_000, "10000 clients parse in well under 20 s");
});

Deno.test("push_routes: networks announced to every client, checked like routes", () => {
  const config = parsed(server(`push_routes: [192.168.1.0/24, "fd00:1::/64"]`));
  assert.deepEqual(config.pushRoutes, [prefix("192.168.1.0/24"), prefix("fd00:1::/64")]);
  assert.deepEqual(parsed(server("")).pushRoutes, []);
  assert.deepEqual(parsed(server("push_routes:")).pushRoutes, []);
  // A refused entry stops the checks between entries of the list, until it is fixed.
  assert.deepEqual(
    listed(server(`push_routes:
  - 192.168.1.0/24
  - 10.0.0.128/25
  - 192.168.1.7/16
  - 192.168.1.7`)),
    [
      ["push_routes[2]", 7, '"192.168.1.7/16" has host bits set; did you mean 192.168.0.0/16?'],
      [
        "push_routes[3]",
        8,
        '"192.168.1.7" has no prefix length; expected a network with its prefix length, e.g. 192.168.10.0/24 or fd00:1::/64 (one host is 192.168.1.7/32)',
      ],
    ],
  );
  assert.deepEqual(
    listed(server(`push_routes:\n  - 192.168.1.0/24\n  - 10.0.0.128/25\n  - 192.168.1.0/24`)),
    [
      [
        "push_routes[1]",
        6,
        "10.0.0.128/25 overlaps the tunnel network 10.0.0.0/24 (address[0], line 3); a route must lie outside the tunnel, so choose a tunnel network no route covers",
      ],
      [
        "push_routes[2]",
        7,
        "192.168.1.0/24 is already listed (push_routes[0], line 5); list each network once, and no network inside another",
      ],
    ],
  );
  assert.deepEqual(onlyProblem(server("push_routes: [0.0.0.0/0]")), {
    path: "push_routes[0]",
    line: 4,
    message:
      '"0.0.0.0/0" is a default route, which SSSonector does not install; list the networks to reach, e.g. 192.168.0.0/16',
  });
  const tooMany = Array.from({ length: LIMITS.pushRoutes + 1 }, (_, i) => `172.16.${i}.0/24`);
  assert.match(
    onlyProblem(server(`push_routes: [${tooMany.join(", ")}]`)).message,
    new RegExp(
      `^${LIMITS.pushRoutes + 1} networks are too many; at most ${LIMITS.pushRoutes} are allowed$`,
    ),
  );
});

Deno.test("client_to_client and max_clients: defaults, values and bounds", () => {
  const defaults = parsed(server(""));
  assert.deepEqual([defaults.clientToClient, defaults.maxClients], [false, 1000]);
  const set = parsed(server("client_to_client: true\nmax_clients: 100000"));
  assert.deepEqual([set.clientToClient, set.maxClients], [true, 100000]);
  assert.equal(parsed(server("max_clients: 1")).maxClients, 1);
  assert.deepEqual(onlyProblem(server("max_clients: 0")), {
    path: "max_clients",
    line: 4,
    message: "0 is below the minimum 1",
  });
  assert.match(onlyProblem(server("max_clients: 100001")).message, /above the maximum 100000/);
  assert.match(
    onlyProblem(server("client_to_client: yes")).message,
    /^"yes" is not true or false/,
  );
});

Deno.test("a client key in a server file is refused, saying whose it is and what it does", () => {
  assert.deepEqual(
    listed(server("routes: [192.168.1.0/24]\nserver_order: shuffled\naccept_routes: false")),
    [
      [
        "routes",
        4,
        'not allowed in server mode: "routes" is a client key (the networks a client reaches through the tunnel); on a server, networks behind a client go in its clients: entry (routes:), networks for every client in push_routes:',
      ],
      [
        "server_order",
        5,
        'not allowed in server mode: "server_order" is a client key (how a client picks among its servers); remove it from this file',
      ],
      [
        "accept_routes",
        6,
        'not allowed in server mode: "accept_routes" is a client key (whether a client installs the routes its server announces); remove it from this file',
      ],
    ],
  );
});

Deno.test("problems of the other keys do not hide the network checks", () => {
  assert.deepEqual(
    listed(server("max_clients: 0\npush_routes: [192.168.1.0/24, 192.168.1.0/25]")).map((p) =>
      p[0]
    ),
    ["max_clients", "push_routes[1]"],
  );
});

/** Networks in a small space, so that lists of them mix nested, equal and disjoint ones. */
const network = fc.tuple(
  fc.constantFrom<4 | 6>(4, 6),
  fc.integer({ min: 0, max: 1 }),
  fc.integer({ min: 0, max: 3 }),
  fc.integer({ min: 7, max: 16 }),
).map(([family, high, low, length]): IpPrefix => {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  bytes[0] = 10 + high;
  bytes[1] = low << 6;
  return networkOf({ family, bytes, length });
});

Deno.test("overlappingPairs() pairs each entry with the first earlier entry it overlaps", () => {
  fc.assert(
    fc.property(fc.array(network, { maxLength: 40 }), (prefixes) => {
      const placed = prefixes.map((p, index) => ({ prefix: p, path: [index] }));
      const found = overlappingPairs(placed).map(([entry, earlier]) => [
        entry.path[0],
        earlier.path[0],
      ]);
      const expected = prefixes.flatMap((p, i) => {
        const j = prefixes.findIndex((q, k) => k < i && overlaps(p, q));
        return j < 0 ? [] : [[i, j]];
      });
      assert.deepEqual(found, expected);
    }),
    { numRuns: 500 },
  );
  // The case a sweep against only the widest open entry misses: two entries inside a third
  // that is listed after both.
  const [a, b, c] = [prefix("10.1.0.0/16"), prefix("10.1.1.0/24"), prefix("10.0.0.0/8")];
  const pairs = overlappingPairs([a, b, c].map((p, index) => ({ prefix: p, path: [index] })));
  assert.deepEqual(pairs.map(([x, y]) => [x.path[0], y.path[0]]), [[1, 0], [2, 0]]);
});

Deno.test("the registry's networks together are bounded by what one packet filter holds", () => {
  const clients = Array.from(
    { length: 16 },
    (_, c) =>
      `  - name: c${c}\n    routes: [${
        Array.from({ length: 240 }, (_, r) => `10.${100 + c}.${r}.0/24`).join(", ")
      }]`,
  ).join("\n");
  const text = `mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\nclients:\n${clients}\n` +
    "security:\n  tls: { cert_file: a.crt, key_file: a.key, ca_file: ca.crt }\n";
  assert.throws(
    () => parseConfig(text, "/etc/s.yaml"),
    /clients \(line 4\): the clients route 3840 networks in all; at most 3800 are allowed .*client_to_client: true/,
  );
  parseConfig(`client_to_client: true\n${text}`, "/etc/s.yaml");
});
