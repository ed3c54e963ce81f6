import type { Config } from "../config/types.ts";
import { mssClampFor, TunDevice } from "./device.ts";
import type { TunLibrary } from "./ffi.ts";

/**
 * Opens and configures the TUN device that a configuration (either mode) describes, through the
 * shim `lib`. @default lib a shim opened for this device (until server and client pass theirs)
 */
export function openTunFor(config: Config, lib: TunLibrary): TunDevice {
  return TunDevice.open({
    name: config.interface,
    address: config.address,
    mtu: config.network.mtu,
    offload: config.network.offload,
    ...(config.network.clampMss ? { mssClamp: mssClampFor(config.network.mtu) } : {}),
  }, lib);
}
