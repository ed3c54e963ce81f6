/**
 * The facade of native/privilege.c: the drop to the run user on every thread (with the netlink
 * agent of native/netlink.c keeping CAP_NET_ADMIN when asked) and every thread's credentials
 * (src/privilege/ words and checks them).
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** What the drop calls (the loaded NativeLibrary, or a fake in unit tests). */
export type DropSymbols = NativeShim<
  "sss_drop_privileges" | "sss_netlink_agent_tid" | "sss_strerror"
>;

/** What reads every thread's credentials (Deno refuses /proc/self without --allow-all). */
export type ThreadStatusSymbols = NativeShim<"sss_thread_status">;

/** sss_drop_privileges' flags (native/privilege.h SSS_DROP_*). */
export const DropFlag = {
  /** The netlink agent thread keeps CAP_NET_ADMIN; every other thread has none. */
  KeepNetAdmin: 0x1,
} as const;

/**
 * The step sss_drop_privileges failed at, reported in err[1] (native/privilege.h
 * SSS_PRIV_STAGE_*).
 */
export const DropStage = {
  /** The flags were checked (no define: 0). */
  Flags: 0,
  Groups: 1,
  Gid: 2,
  Uid: 3,
  Verify: 4,
  NoNewPrivs: 5,
  Seccomp: 6,
  KeepStart: 7,
  KeepLimit: 8,
} as const;
