import type { Config } from "../config/types.ts";
import { TunDevice } from "./device.ts";

/** Opens and configures the TUN device that a configuration (either mode) describes. */
export function openTunFor(config: Config): TunDevice {
  return TunDevice.open({
    name: config.interface,
    address: config.address,
    mtu: config.network.mtu,
    offload: config.network.offload,
  });
}
