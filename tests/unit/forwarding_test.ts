import assert from "node:assert/strict";
import { forwardingProblem } from "../../src/tun/forwarding.ts";

Deno.test("forwardingProblem() names the sysctls to set, only for the families in use", () => {
  const off = { ipv4: false, ipv6: false };
  assert.match(
    forwardingProblem(off, "the networks behind clients", { ipv4: true, ipv6: true })!,
    /the networks behind clients are reachable from this host only.*sysctl -w net\.ipv4\.ip_forward=1 net\.ipv6\.conf\.all\.forwarding=1/,
  );
  const v4only = forwardingProblem(off, "routes", { ipv4: true, ipv6: false })!;
  assert.doesNotMatch(v4only, /ipv6/);
  assert.equal(
    forwardingProblem({ ipv4: true, ipv6: false }, "routes", { ipv4: true, ipv6: false }),
    undefined,
  );
  assert.equal(
    forwardingProblem({}, "routes", { ipv4: true, ipv6: true }),
    undefined,
    "unknown is not reported as off",
  );
});
