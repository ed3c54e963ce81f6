import type { DataFrameWriter } from "../frame/receiver.ts";
import type { IpPrefix } from "../ip/prefix.ts";
import type { NetlinkSymbols } from "../native/netlink.ts";
import { OpenFlag, OpenStage, type TunSymbols } from "../native/tun.ts";
import { addAddress, addRoute, interfaceIndex, removeRoute } from "./netlink.ts";
import type { PacketFilter } from "../ip/packet_filter.ts";
import { type Failure, unwrap } from "../native/unwrap.ts";

/** What the device calls: native/tun.c, and native/netlink.c for its index, addresses, routes. */
export type DeviceSymbols = TunSymbols & NetlinkSymbols;

export interface TunOptions {
  /** Interface name, e.g. tun0. */
  readonly name: string;
  /** The IPv4 address with its prefix (e.g. 10.0.0.1/24). */
  readonly address: IpPrefix<4>;
  readonly mtu: number;
  /** Open with IFF_VNET_HDR and checksum/segmentation offloads. @default false */
  readonly offload?: boolean;
  /** An IPv6 address with its prefix (e.g. fd00:5::1/64), usable at once (no DAD). */
  readonly address6?: IpPrefix<6>;
  /**
   * Lower the MSS option of TCP SYNs crossing the device (both directions) to at most these
   * (mssClampFor(mtu) for what fits the MTU); 0 turns a family off. @default no clamping
   */
  readonly mssClamp?: MssClamp;
}

/** MSS limits for TCP SYNs, per family; 0 leaves that family's SYNs alone. */
export interface MssClamp {
  readonly mss4: number;
  readonly mss6: number;
}

/** The MSS that fits a tunnel MTU: mtu - 40 for IPv4 (20 + 20 bytes of headers), mtu - 60 for IPv6. */
export function mssClampFor(mtu: number): MssClamp {
  return { mss4: mtu - 40, mss6: mtu - 60 };
}

/** SYNs whose MSS the device lowered: read from the kernel, and written to it (all sessions). */
export interface MssClampCounters {
  readonly read: number;
  readonly written: number;
}

/** One batch from readFrames: `bytes` of frames in the buffer, `count` entries in the index. */
export interface ReadBatch {
  readonly bytes: number;
  readonly count: number;
}

/** Where framed packets come from (the TUN device in production, a fake in unit tests). */
export interface FrameSource {
  /** True when reads yield PacketGso frames (virtio_net_hdr first, maybe super-packets). */
  readonly offload: boolean;
  /**
   * Waits up to timeoutMs for packets, then fills `buffer` with as many as fit, each already a
   * wire frame. `index` gets two u32 per packet: the frame's offset and its IPv4 destination.
   * Resolves to an empty batch on timeout or wake().
   */
  readFrames(buffer: Uint8Array, index: Uint32Array, timeoutMs: number): Promise<ReadBatch>;
  /** Ends a pending readFrames at once. */
  wake(): void;
}

const ERRNO = { EPERM: 1, ENOENT: 2, EACCES: 13, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22 };

/** A Linux TUN device driven through the native shim; reads and writes move whole batches. */
export class TunDevice implements FrameSource, DataFrameWriter {
  readonly name: string;
  /** Whether the device runs with virtio_net_hdr offloads (reads yield PacketGso frames). */
  readonly offload: boolean;
  /** The kernel's interface index (routes and addresses name the interface by it). */
  readonly index: number;
  #lib: DeviceSymbols;
  #handle: Deno.PointerObject | null;
  #reading: Promise<unknown> | undefined;
  #closing = false;
  #countOut = new Uint32Array(1);
  #mssCounters = new BigUint64Array(2);

  private constructor(
    lib: DeviceSymbols,
    handle: Deno.PointerObject,
    name: string,
    index: number,
  ) {
    this.#lib = lib;
    this.#handle = handle;
    this.name = name;
    this.index = index;
    this.offload = lib.symbols.sss_tun_offload(handle) === 1;
  }

  /**
   * Creates the interface, sets its address, prefix and MTU, brings it up, and adds the IPv6
   * address when there is one. `lib` is the loaded shim (loadNativeLibrary()); the caller keeps it
   * open for as long as the device lives.
   */
  static open(options: TunOptions, lib: DeviceSymbols): TunDevice {
    const nameOut = new Uint8Array(16);
    const err = new Int32Array(2);
    const handle = unwrap(
      lib,
      lib.symbols.sss_tun_open(
        cString(options.name),
        options.offload ? OpenFlag.Offload : 0,
        nameOut,
        err,
      ),
      (failure) => describeOpenError(options.name, err[1]!, failure),
      err,
    );
    const name = new TextDecoder().decode(nameOut.subarray(0, nameOut.indexOf(0)));
    let index: number;
    try {
      index = interfaceIndex(lib, name);
    } catch (error) {
      lib.symbols.sss_tun_close(handle);
      throw error;
    }
    const device = new TunDevice(lib, handle, name, index);
    try {
      unwrap(
        lib,
        lib.symbols.sss_tun_configure(handle, options.mtu),
        `cannot configure interface ${name} (mtu ${options.mtu})`,
      );
      // Both families take one path: netlink (the address, its prefix route).
      addAddress(lib, device, options.address, options.mtu);
      if (options.address6) addAddress(lib, device, options.address6, options.mtu);
      if (options.mssClamp) device.setMss(options.mssClamp.mss4, options.mssClamp.mss6);
    } catch (error) {
      device.close();
      throw error;
    }
    return device;
  }

  readFrames(buffer: Uint8Array, index: Uint32Array, timeoutMs: number): Promise<ReadBatch> {
    const handle = this.#live();
    if (this.#reading) throw new Error("TunDevice.readFrames: a read is already pending");
    const pending = this.#lib.symbols.sss_tun_read_frames(
      handle,
      buffer,
      buffer.length,
      timeoutMs,
      index,
      index.length >>> 1,
      this.#countOut,
    );
    this.#reading = pending;
    return pending.then((rc) => {
      this.#reading = undefined;
      if (this.#closing) {
        this.#release();
        return { bytes: 0, count: 0 };
      }
      const bytes = unwrap(this.#lib, rc, `cannot read from ${this.name}`);
      return { bytes, count: this.#countOut[0]! };
    });
  }

  writeFrames(bytes: Uint8Array, filter: PacketFilter, stats: BigUint64Array): number {
    if (this.#handle === null || this.#closing) return bytes.length;
    const consumed = this.#lib.symbols.sss_tun_write_frames(
      this.#handle,
      bytes,
      bytes.length,
      filter.bytes,
      filter.bytes.length,
      stats,
    );
    // Only a filter not made by compilePacketFilter is refused; that is this program's bug.
    if (consumed < 0) {
      unwrap(
        this.#lib,
        consumed,
        `cannot write to ${this.name} through a packet filter of ${filter.ruleCount} rules`,
      );
    }
    return consumed;
  }

  /**
   * Sets the MSS clamp of TCP SYNs in both directions (0 turns a family off); takes effect with
   * the next batch. Throws RangeError for a value outside 0..65535.
   */
  setMss(mss4: number, mss6: number): void {
    for (const [name, value] of [["mss4", mss4], ["mss6", mss6]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 65535) {
        throw new RangeError(`TunDevice.setMss: ${name} ${value} is not 0..65535`);
      }
    }
    unwrap(
      this.#lib,
      this.#lib.symbols.sss_tun_set_mss(this.#live(), mss4, mss6),
      `cannot set the MSS clamp of ${this.name} to ${mss4}/${mss6}`,
    );
  }

  /** SYNs whose MSS was lowered so far (0 once closed). */
  mssClamped(): MssClampCounters {
    if (this.#handle === null) return { read: 0, written: 0 };
    this.#lib.symbols.sss_tun_mss_counters(this.#handle, this.#mssCounters);
    return { read: Number(this.#mssCounters[0]), written: Number(this.#mssCounters[1]) };
  }

  /**
   * Routes `route` through this interface (main table, protocol 83, `metric` or the kernel's
   * default when 0; see src/tun/netlink.ts). A route that already goes through it is fine.
   * @throws {NativeError} when the prefix goes through another interface, naming it, or when the
   *   kernel refuses (e.g. without CAP_NET_ADMIN).
   */
  addRoute(route: IpPrefix, metric = 0): void {
    this.#live();
    addRoute(this.#lib, this, route, metric);
  }

  /**
   * Removes this tunnel's route for `route` (the one with `metric`; any when 0); one that is not
   * there is fine.
   * @throws {NativeError} when the kernel refuses.
   */
  removeRoute(route: IpPrefix, metric = 0): void {
    this.#live();
    removeRoute(this.#lib, this, route, metric);
  }

  wake(): void {
    // Fails only if the eventfd counter overflowed, and then a wake-up is pending anyway.
    if (this.#handle !== null) this.#lib.symbols.sss_tun_wake(this.#handle);
  }

  get closed(): boolean {
    return this.#closing;
  }

  /** Removes the interface. Safe to call twice; waits for a pending read to return first. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#reading) {
      this.wake();
    } else {
      this.#release();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #release(): void {
    if (this.#handle === null) return;
    this.#lib.symbols.sss_tun_close(this.#handle);
    this.#handle = null;
  }

  #live(): Deno.PointerObject {
    if (this.#handle === null || this.#closing) {
      throw new Error(`TUN device ${this.name} is closed`);
    }
    return this.#handle;
  }
}

function cString(text: string): Uint8Array {
  return new TextEncoder().encode(text + "\0");
}

function describeOpenError(name: string, stage: number, { errno, reason }: Failure): string {
  if (stage === OpenStage.Open) {
    if (errno === ERRNO.EACCES || errno === ERRNO.EPERM) {
      return "cannot open /dev/net/tun: permission denied; run as root or grant CAP_NET_ADMIN";
    }
    // The node is missing (usual in a container that was not given it) or has no driver behind
    // it (the tun module is not loaded): two causes, two fixes.
    if (errno === ERRNO.ENOENT) {
      return "cannot open /dev/net/tun: the device node does not exist; in a container, pass it " +
        "in (docker run --device /dev/net/tun, systemd-nspawn --bind=/dev/net/tun); on a host, " +
        "modprobe tun creates it";
    }
    if (errno === ERRNO.ENODEV) {
      return "cannot open /dev/net/tun: the kernel's TUN driver is not loaded; load it with " +
        "modprobe tun (for a container, on its host)";
    }
    return `cannot open /dev/net/tun: ${reason}`;
  }
  if (stage === OpenStage.Create) {
    if (errno === ERRNO.EPERM || errno === ERRNO.EACCES) {
      return `cannot create interface ${name}: permission denied; run as root or grant CAP_NET_ADMIN`;
    }
    if (errno === ERRNO.EBUSY) {
      return `cannot create interface ${name}: it is in use by another process`;
    }
    if (errno === ERRNO.EINVAL || errno === ERRNO.EEXIST) {
      return `cannot create interface ${name}: a non-TUN interface of that name may exist`;
    }
    return `cannot create interface ${name}: ${reason}`;
  }
  if (stage === OpenStage.Offload) {
    return `cannot enable offloads on ${name}: ${reason}; set network.offload: false`;
  }
  return `cannot set up interface ${name}: ${reason}`;
}
