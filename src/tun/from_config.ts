import type { Config } from "../config/types.ts";
import { mssClampFor, TunDevice, type TunOptions } from "./device.ts";
import type { TunLibrary } from "./ffi.ts";

/**
 * The TUN options a configuration (either mode) describes: name, address, MTU, offloads, and the
 * MSS clamp that fits the MTU when `network.clamp_mss` is on. Pure.
 */
export function tunOptionsFor(config: Config): TunOptions {
  return {
    name: config.interface,
    address: config.address,
    mtu: config.network.mtu,
    offload: config.network.offload,
    ...(config.address6 ? { address6: config.address6 } : {}),
    ...(config.network.clampMss ? { mssClamp: mssClampFor(config.network.mtu) } : {}),
  };
}

/**
 * Opens and configures the TUN device that a configuration (either mode) describes, through the
 * shim `lib`. @default lib a shim opened for this device (until server and client pass theirs)
 */
export function openTunFor(config: Config, lib: TunLibrary): TunDevice {
  return TunDevice.open(tunOptionsFor(config), lib);
}
