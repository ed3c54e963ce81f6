import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { netAdminReason } from "../../src/privilege/net_admin.ts";

const tls = `security:
  tls: { cert_file: a.crt, key_file: a.key, ca_file: ca.crt }
`;

Deno.test("netAdminReason(): only routes that come and go keep CAP_NET_ADMIN", () => {
  const plainServer = parseConfig(
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\n${tls}`,
    "/x/s.yaml",
  );
  assert.equal(netAdminReason(plainServer), undefined);
  const routedServer = parseConfig(
    `mode: server\nlisten: 0.0.0.0:443\naddress: 10.0.0.1/24\nclients:\n  - name: web1\n    routes: [192.168.10.0/24]\n${tls}`,
    "/x/s.yaml",
  );
  assert.match(netAdminReason(routedServer)!, /registered clients/);
  const client = parseConfig(
    `mode: client\nserver: 192.0.2.1:443\naddress: 10.0.0.2/24\n${tls}`,
    "/x/c.yaml",
  );
  assert.match(netAdminReason(client)!, /accept_routes: false gives this up/);
  const closed = parseConfig(
    `mode: client\nserver: 192.0.2.1:443\naddress: 10.0.0.2/24\naccept_routes: false\n${tls}`,
    "/x/c.yaml",
  );
  assert.equal(netAdminReason(closed), undefined);
});
