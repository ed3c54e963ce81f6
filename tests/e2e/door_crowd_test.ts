/**
 * A crowd at the door (issue 23): an attacker with 400 IPv4 addresses in eight /24s holds 4
 * connections from each, reopened as soon as the server closes them: idle, half a ClientHello, or
 * a TLS handshake without a certificate. Meanwhile a valid client pings through the tunnel and a
 * new valid client tries to open a session every 3 s. Every try must get its session within 5 s
 * and the pings must not suffer; the figures (time to session, loss, server RSS before, during and
 * after) are printed. Each attack runs 24 s (SSSONECTOR_CROWD_SECONDS makes it longer, for soak).
 * The lab is tests/lib/crowd_lab.ts; door_crowd_sources_test.ts has the other attackers.
 */
import { assertDoorHeld, type CrowdAttack, ipv4Sources, runCrowd } from "../lib/crowd_lab.ts";

const root = Deno.uid() === 0;
const SECONDS = Number(Deno.env.get("SSSONECTOR_CROWD_SECONDS") ?? "24");

for (const kind of ["idle", "half", "nocert"] as const) {
  Deno.test({
    name: `a crowd of 400 addresses at the door (${kind}) keeps no new client out`,
    ignore: !root,
    fn: async () => {
      const attack: CrowdAttack = {
        tag: `crowd${kind}`,
        kind,
        sources: ipv4Sources(8, 50),
        perSource: 4,
        seconds: SECONDS,
      };
      assertDoorHeld(attack, await runCrowd(attack));
    },
  });
}
