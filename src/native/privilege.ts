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
