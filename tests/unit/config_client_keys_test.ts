import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import type { ClientConfig } from "../../src/config/types.ts";
import { LIMITS } from "../../src/config/_schema.ts";
import { prefix } from "../../src/ip/prefix.ts";
import { listed, onlyProblem, problems, TLS } from "../lib/config_text.ts";

/** A client file; `keys` start on line 4. */
function client(keys: string, server = "vpn.example.com:443"): string {
  return `mode: client\nserver: ${server}\naddress: [10.0.0.2/24, "fd00:5::2/64"]\n${keys}\n${TLS}`;
}

function parsed(text: string): ClientConfig {
  const config = parseConfig(text, "c.yaml");
  assert.ok(config.mode === "client");
  return config;
}

Deno.test("server: one HOST:PORT gives a list of one; defaults of the client keys", () => {
  const config = parsed(client(""));
  assert.deepEqual(config.server, { host: "vpn.example.com", port: 443 });
  assert.deepEqual(config.servers, [config.server]);
  assert.equal(config.serverOrder, "ordered");
  assert.deepEqual(config.routes, []);
  assert.equal(config.acceptRoutes, true);
});

Deno.test("server: a list is tried in the file's order, server is its first entry", () => {
  const config = parsed(client("", `[vpn2.example.com:443, "[2001:db8::1]:8443", 192.0.2.7:443]`));
  assert.deepEqual(config.servers, [
    { host: "vpn2.example.com", port: 443 },
    { host: "2001:db8::1", port: 8443 },
    { host: "192.0.2.7", port: 443 },
  ]);
  assert.equal(config.server, config.servers[0]);
  const block = parsed(client("", "\n  - a.example.com:443\n  - b.example.com:443"));
  assert.deepEqual(block.servers.map((s) => s.host), ["a.example.com", "b.example.com"]);
});

Deno.test("server: a list has 1 to 16 entries, each valid and listed once", () => {
  const sixteen = Array.from({ length: LIMITS.servers }, (_, i) => `s${i}.example.com:443`);
  assert.equal(parsed(client("", `[${sixteen}]`)).servers.length, 16);
  assert.match(
    onlyProblem(client("", `[${sixteen}, s16.example.com:443]`)).message,
    /^a list of 17 entries; at most 16 allowed: HOST:PORT, e\.g\. vpn\.example\.com:443, or a list of them/,
  );
  assert.deepEqual(onlyProblem(client("", "[]")), {
    path: "server",
    line: 2,
    message:
      'an empty list; expected HOST:PORT, e.g. vpn.example.com:443, or a list of them to try in turn, e.g. [vpn1.example.com:443, "[2001:db8::1]:443"]',
  });
  assert.deepEqual(
    listed(client("", "\n  - a.example.com:443\n  - b.example.com\n  - A.Example.com:443")),
    [
      [
        "server[1]",
        4,
        '"b.example.com" has no port; expected HOST:PORT with an IP address or a DNS name, e.g. vpn.example.com:443 or [::1]:443',
      ],
    ],
  );
  assert.deepEqual(listed(client("", "[a.example.com:443, A.Example.com:443]")), [[
    "server[1]",
    2,
    '"A.Example.com:443" is already server[0]; list each server once',
  ]]);
  // The same host on another port is another server.
  assert.equal(parsed(client("", "[a.example.com:443, a.example.com:8443]")).servers.length, 2);
});

Deno.test("server_order: ordered or shuffled", () => {
  assert.equal(parsed(client("server_order: shuffled")).serverOrder, "shuffled");
  assert.equal(parsed(client("server_order: ordered")).serverOrder, "ordered");
  assert.deepEqual(onlyProblem(client("server_order: random")), {
    path: "server_order",
    line: 4,
    message: '"random" is not a server order; expected "ordered" or "shuffled"',
  });
});

Deno.test("routes: networks to reach, outside the tunnel and none inside another", () => {
  assert.deepEqual(
    parsed(client(`routes: [192.168.1.0/24, "fd00:1::/64", 10.1.0.0/16]`)).routes,
    [prefix("192.168.1.0/24"), prefix("fd00:1::/64"), prefix("10.1.0.0/16")],
  );
  assert.deepEqual(parsed(client("routes:")).routes, []);
  assert.deepEqual(
    listed(client(`routes:
  - 192.168.0.0/16
  - 10.0.0.0/8
  - "fd00:5::/64"
  - 192.168.7.0/24
  - 192.168.0.0/16`)),
    [
      [
        "routes[1]",
        6,
        "10.0.0.0/8 overlaps the tunnel network 10.0.0.0/24 (address[0], line 3); a route must lie outside the tunnel, so choose a tunnel network no route covers",
      ],
      [
        "routes[2]",
        7,
        "fd00:5::/64 is the tunnel network fd00:5::/64 (address[1], line 3); a route must lie outside the tunnel, so choose a tunnel network no route covers",
      ],
      [
        "routes[3]",
        8,
        "192.168.7.0/24 overlaps 192.168.0.0/16 (routes[0], line 5); list each network once, and no network inside another",
      ],
      [
        "routes[4]",
        9,
        "192.168.0.0/16 is already listed (routes[0], line 5); list each network once, and no network inside another",
      ],
    ],
  );
  assert.deepEqual(onlyProblem(client("routes: [192.168.1.1/24]")), {
    path: "routes[0]",
    line: 4,
    message: '"192.168.1.1/24" has host bits set; did you mean 192.168.1.0/24?',
  });
  assert.match(
    onlyProblem(client(`routes: ["fe80::/64"]`)).message,
    /^"fe80::\/64" overlaps the link-local range fe80::\/10, which is never routed through a tunnel/,
  );
  assert.match(
    onlyProblem(client("routes: 192.168.1.0/24")).message,
    /^"192\.168\.1\.0\/24" is not a list; expected a list of networks, e\.g\. \[192\.168\.10\.0\/24/,
  );
  const tooMany = Array.from({ length: LIMITS.clientRoutes + 1 }, (_, i) => `172.16.${i}.0/24`);
  assert.match(
    onlyProblem(client(`routes: [${tooMany.join(", ")}]`)).message,
    /^257 networks are too many; at most 256 are allowed$/,
  );
});

Deno.test("accept_routes: true by default, false to ignore what the server announces", () => {
  assert.equal(parsed(client("accept_routes: false")).acceptRoutes, false);
  assert.match(onlyProblem(client("accept_routes: 0")).message, /^0 is not true or false/);
});

Deno.test("a server key in a client file is refused, saying whose it is and what it does", () => {
  assert.deepEqual(
    listed(client(`push_routes: [192.168.1.0/24]
clients: [{ name: web1 }]
unlisted: allow
client_to_client: true
max_clients: 5`)),
    [
      [
        "push_routes",
        4,
        'not allowed in client mode: "push_routes" is a server key (the networks a server announces to its clients); a client lists the networks it reaches in routes:',
      ],
      [
        "clients",
        5,
        'not allowed in client mode: "clients" is a server key (the clients a server accepts, by certificate name); remove it from this file',
      ],
      [
        "unlisted",
        6,
        'not allowed in client mode: "unlisted" is a server key (whether a server accepts certificates missing from its clients: list); remove it from this file',
      ],
      [
        "client_to_client",
        7,
        'not allowed in client mode: "client_to_client" is a server key (whether a server forwards packets between its clients); remove it from this file',
      ],
      [
        "max_clients",
        8,
        'not allowed in client mode: "max_clients" is a server key (how many sessions a server holds at once); remove it from this file',
      ],
    ],
  );
  // A bad value of a misplaced key is not reported a second time.
  assert.equal(problems(client("max_clients: lots")).length, 1);
});
