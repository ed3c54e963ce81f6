import type { Config } from "../config/types.ts";
import type { DataFrameWriter } from "../frame/receiver.ts";
import { tunnelPrefixes } from "../config/addresses.ts";
import type { IpPrefix } from "../ip/prefix.ts";
import { type FrameSource, type MssClampCounters, mssClampFor, type ReadBatch } from "./device.ts";
import { type DeviceSymbols, TunDevice, type TunOptions } from "./device.ts";
import type { GsoSymbols } from "../native/gso.ts";
import { OffloadConverter } from "./offload.ts";
import type { PacketFilter } from "../ip/packet_filter.ts";

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
 * A TUN device opened for a configuration, with what the modes need beside it: its tunnel
 * addresses and an offload converter on the same shim. Each call passes straight to the device.
 */
export class ConfiguredTun implements FrameSource, DataFrameWriter {
  readonly device: TunDevice;
  readonly addresses: readonly IpPrefix[];
  readonly converter: OffloadConverter;

  constructor(device: TunDevice, addresses: readonly IpPrefix[], converter: OffloadConverter) {
    this.device = device;
    this.addresses = addresses;
    this.converter = converter;
  }

  get name(): string {
    return this.device.name;
  }

  get offload(): boolean {
    return this.device.offload;
  }

  get closed(): boolean {
    return this.device.closed;
  }

  readFrames(buffer: Uint8Array, index: Uint32Array, timeoutMs: number): Promise<ReadBatch> {
    return this.device.readFrames(buffer, index, timeoutMs);
  }

  writeFrames(bytes: Uint8Array, filter: PacketFilter, stats: BigUint64Array): number {
    return this.device.writeFrames(bytes, filter, stats);
  }

  wake(): void {
    this.device.wake();
  }

  addRoute(route: IpPrefix, metric = 0): void {
    this.device.addRoute(route, metric);
  }

  removeRoute(route: IpPrefix, metric = 0): void {
    this.device.removeRoute(route, metric);
  }

  mssClamped(): MssClampCounters {
    return this.device.mssClamped();
  }

  close(): void {
    this.device.close();
  }
}

/**
 * Opens and configures the TUN device that a configuration (either mode) describes, through the
 * loaded shim `lib`, which the caller keeps open for as long as the device lives.
 */
export function openTunFor(config: Config, lib: DeviceSymbols & GsoSymbols): ConfiguredTun {
  const device = TunDevice.open(tunOptionsFor(config), lib);
  return new ConfiguredTun(device, tunnelPrefixes(config), new OffloadConverter(lib));
}
