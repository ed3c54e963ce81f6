/**
 * A pool of two servers in the fleet lab (names and addresses: tools/lab/fleet_pool_plan.ts):
 * server b's underlay address on the bridge and its certificate, made once per lab, and both
 * servers started with `pool: true`.
 *
 * @module
 */

import { generateCertificates } from "../../src/pki/generate.ts";
import { FLEET_PORT } from "./fleet_configs.ts";
import type { FleetLab, FleetServer, FleetServerOptions } from "./fleet_lab.ts";
import { FLEET_BRIDGE, FLEET_UNDERLAY_PREFIX } from "./fleet_plan.ts";
import {
  POOL_PEER_CERT_DIR,
  POOL_PEER_INTERFACE,
  POOL_PEER_UNDERLAY,
  poolPeerTunnelIp,
} from "./fleet_pool_plan.ts";

/** Both servers of a running pool. */
export interface FleetPool {
  readonly a: FleetServer;
  readonly b: FleetServer;
}

const prepared = new WeakSet<FleetLab>();

/** Adds server b's address to the bridge and issues its certificate from the lab's CA, once. */
async function preparePeer(lab: FleetLab): Promise<string> {
  const certDir = `${lab.dir}/${POOL_PEER_CERT_DIR}`;
  if (prepared.has(lab)) return certDir;
  await lab.exec(lab.serverNs, "ip", [
    ...["addr", "add", `${POOL_PEER_UNDERLAY}/${FLEET_UNDERLAY_PREFIX}`, "dev", FLEET_BRIDGE],
  ]);
  await Deno.mkdir(certDir, { mode: 0o700 });
  for (const file of ["ca.crt", "ca.key"]) {
    await Deno.copyFile(`${lab.certDir}/${file}`, `${certDir}/${file}`);
  }
  await generateCertificates({
    certDir,
    serverIp: POOL_PEER_UNDERLAY,
    serverNames: [],
    clientName: "pool-spare",
    days: 1,
    keyType: "ecdsa-p256",
    force: false,
  });
  prepared.add(lab);
  return certDir;
}

/**
 * Starts servers a and b of the pool, each with `options` (e.g. the set-up bench's security
 * caps); stops a when b fails to start.
 */
export async function startPool(
  lab: FleetLab,
  options: Omit<FleetServerOptions, "monitoring"> = {},
): Promise<FleetPool> {
  const certDir = await preparePeer(lab);
  const a = await lab.startServer({ ...options, pool: true });
  try {
    const b = await lab.startServer({
      ...options,
      pool: true,
      certDir,
      listen: `${POOL_PEER_UNDERLAY}:${FLEET_PORT}`,
      tunnelIp: poolPeerTunnelIp(lab.tunnelPrefix),
      interface: POOL_PEER_INTERFACE,
    });
    return { a, b };
  } catch (error) {
    await a.process.stop(3000);
    throw error;
  }
}

/** Stops both servers of the pool. */
export async function stopPool(pool: FleetPool): Promise<void> {
  await Promise.all([pool.a.process.stop(3000), pool.b.process.stop(3000)]);
}
