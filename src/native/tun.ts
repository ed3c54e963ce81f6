/**
 * The facade of native/tun.c: the TUN device (open, configure, batch read on a worker thread,
 * batch write through the packet filter, MSS clamping, wake, close); src/tun/device.ts words what
 * it means for the tunnel.
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The device's functions (the loaded NativeLibrary is one). */
export type TunSymbols = NativeShim<
  | "sss_tun_open"
  | "sss_tun_configure"
  | "sss_tun_offload"
  | "sss_tun_read_frames"
  | "sss_tun_write_frames"
  | "sss_tun_set_mss"
  | "sss_tun_mss_counters"
  | "sss_tun_wake"
  | "sss_tun_close"
  | "sss_strerror"
>;

/** sss_tun_open's flags (native/tun.h SSS_OPEN_*). */
export const OpenFlag = {
  /** IFF_VNET_HDR and TUNSETOFFLOAD: checksum and segmentation offloads. */
  Offload: 0x1,
} as const;

/** Where sss_tun_open failed (native/tun.h SSS_STAGE_*), reported in err[1]. */
export const OpenStage = {
  /** open("/dev/net/tun") */
  Open: 1,
  /** TUNSETIFF */
  Create: 2,
  /** TUNSETVNETHDRSZ / TUNSETOFFLOAD */
  Offload: 3,
  /** eventfd, memory */
  Resources: 4,
} as const;
