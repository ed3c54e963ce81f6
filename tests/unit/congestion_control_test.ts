import assert from "node:assert/strict";
import { chooseCongestionControl } from "../../src/transport/congestion_control.ts";

const kernel = (available: string, allowed: string, system: string) => ({
  available: available.split(" "),
  allowed: allowed.split(" "),
  system,
});

Deno.test("chooseCongestionControl() takes bbr by default where the kernel has it and allows it", () => {
  const choice = chooseCongestionControl(
    undefined,
    kernel("reno cubic bbr", "reno cubic bbr", "cubic"),
  );
  assert.equal(choice.name, "bbr");
  assert.equal(choice.level, "info");
  assert.match(choice.line, /^carrier congestion control: bbr \(the default/);
});

Deno.test("chooseCongestionControl() leaves the system's default when bbr is missing, and says why", () => {
  const missing = chooseCongestionControl(undefined, kernel("reno cubic", "reno cubic", "cubic"));
  assert.equal(missing.name, undefined);
  assert.match(missing.line, /cubic \(the system's; bbr is not available: modprobe tcp_bbr\)/);
  const refused = chooseCongestionControl(
    undefined,
    kernel("reno cubic bbr", "reno cubic", "cubic"),
  );
  assert.equal(refused.name, undefined);
  assert.match(refused.line, /bbr is not in net\.ipv4\.tcp_allowed_congestion_control/);
});

Deno.test("chooseCongestionControl() follows network.congestion_control, warning when it cannot", () => {
  const k = kernel("reno cubic bbr", "reno cubic bbr", "bbr");
  assert.equal(chooseCongestionControl("cubic", k).name, "cubic");
  const system = chooseCongestionControl("system", k);
  assert.equal(system.name, undefined);
  assert.match(system.line, /bbr \(the system's default, as configured\)/);
  const unknown = chooseCongestionControl("vegas", k);
  assert.equal(unknown.name, undefined);
  assert.equal(unknown.level, "warning");
  assert.equal(
    unknown.line,
    'network.congestion_control: "vegas" is not available in this kernel (reno cubic bbr; ' +
      "modprobe tcp_vegas); the carrier uses the system's bbr",
  );
});
