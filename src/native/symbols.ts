/**
 * The one symbol table of the native shim: every function of native/*.c that TypeScript calls,
 * grouped by C file (one section each, in the order of native/), one entry per line under its C
 * signature. The library is opened with it once per process (library.ts); the facades beside this
 * file (tun.ts, netlink.ts, privilege.ts, ...) narrow it to one C file's functions for their
 * consumers.
 *
 * @module
 */

// deno-fmt-ignore
export const nativeSymbols = {
  // ---- native/filter.c: the per-session packet filter (pure; for tests that compare it with src/ip/packet_filter.ts) ----
  // int32_t (const uint8_t *rules, uint32_t rules_len, const uint8_t *packet, uint32_t len)
  sss_packet_verdict: { parameters: ["buffer", "u32", "buffer", "u32"], result: "i32" },

  // ---- native/gso.c: frames for peers without offloads ----
  // int32_t (const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_cap, uint32_t *out_len, uint64_t *counters)
  sss_frames_without_offload: { parameters: ["buffer", "u32", "buffer", "u32", "buffer", "buffer"], result: "i32" },

  // ---- native/memory.c: glibc's heap ----
  // int32_t (void)
  sss_malloc_trim: { parameters: [], result: "i32", nonblocking: true },
  // void (uint64_t *out)
  sss_malloc_info: { parameters: ["buffer"], result: "void" },

  // ---- native/mss.c: TCP MSS clamping (pure; for tests) ----
  // int32_t (uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6, int32_t checksum_partial)
  sss_mss_clamp: { parameters: ["buffer", "u32", "u32", "u32", "i32"], result: "i32" },

  // ---- native/netlink.c: routes, addresses, sysctls and the netlink agent ----
  // int32_t (const char *name)
  sss_if_index: { parameters: ["buffer"], result: "i32" },
  // int32_t (uint32_t index, char *name_out)
  sss_if_name: { parameters: ["u32", "buffer"], result: "i32" },
  // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length, uint32_t metric, int32_t *conflict)
  sss_route_add: { parameters: ["u32", "u32", "buffer", "u32", "u32", "buffer"], result: "i32" },
  // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length, uint32_t metric)
  sss_route_del: { parameters: ["u32", "u32", "buffer", "u32", "u32"], result: "i32" },
  // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length)
  sss_addr_add: { parameters: ["u32", "u32", "buffer", "u32"], result: "i32" },
  // int32_t (const char *name, uint8_t *buf, uint32_t cap)
  sss_net_sysctl: { parameters: ["buffer", "buffer", "u32"], result: "i32" },
  // int32_t (void)
  sss_netlink_agent_tid: { parameters: [], result: "i32" },

  // ---- native/privilege.c: the drop to the run user, every thread's credentials ----
  // int32_t (uint32_t uid, uint32_t gid, const uint32_t *groups, uint32_t n_groups, uint32_t flags, int32_t *err)
  sss_drop_privileges: { parameters: ["u32", "u32", "buffer", "u32", "u32", "buffer"], result: "i32" },
  // int32_t (uint8_t *buf, uint32_t cap, uint32_t *len_out)
  sss_thread_status: { parameters: ["buffer", "u32", "buffer"], result: "i32" },

  // ---- native/process.c: sd_notify, descriptors, the monotonic clock ----
  // int32_t (const char *path, const uint8_t *msg, uint32_t len)
  sss_notify: { parameters: ["buffer", "buffer", "u32"], result: "i32" },
  // int32_t (void)
  sss_open_fds: { parameters: [], result: "i32" },
  // int64_t (void)
  sss_max_fds: { parameters: [], result: "i64" },
  // uint64_t (void)
  sss_monotonic_usec: { parameters: [], result: "u64" },

  // ---- native/tcp_socket.c: the carrier's TCP socket ----
  // int32_t (int32_t hint, const uint8_t *local, uint32_t local_len, uint32_t local_port, const uint8_t *peer, uint32_t peer_len, uint32_t peer_port)
  sss_tcp_find: { parameters: ["i32", "buffer", "u32", "u32", "buffer", "u32", "u32"], result: "i32" },
  // int32_t (int32_t fd, uint32_t bytes)
  sss_tcp_set_notsent_lowat: { parameters: ["i32", "u32"], result: "i32" },
  // int32_t (int32_t fd, const char *name)
  sss_tcp_set_congestion: { parameters: ["i32", "buffer"], result: "i32" },
  // int32_t (int32_t fd, char *out, uint32_t cap)
  sss_tcp_get_congestion: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int32_t (int32_t fd, uint64_t *out)
  sss_tcp_info: { parameters: ["i32", "buffer"], result: "i32" },
  // int32_t (int32_t fd, uint32_t ms)
  sss_tcp_set_user_timeout: { parameters: ["i32", "u32"], result: "i32" },
  // int32_t (int32_t fd)
  sss_tcp_local_address_present: { parameters: ["i32"], result: "i32" },
  // int32_t (int32_t fd, uint32_t rto_min_us)
  sss_tcp_set_thin_stream: { parameters: ["i32", "u32"], result: "i32" },
  // int32_t (int32_t fd, uint64_t bytes_per_second)
  sss_tcp_set_max_pacing_rate: { parameters: ["i32", "u64"], result: "i32" },

  // ---- native/tun.c: the device ----
  // sss_tun *(const char *name, uint32_t flags, char *name_out, int32_t *err)
  sss_tun_open: { parameters: ["buffer", "u32", "buffer", "buffer"], result: "pointer" },
  // int32_t (sss_tun *tun, const uint8_t *ipv4, uint32_t prefix_length, uint32_t mtu)
  sss_tun_configure: { parameters: ["pointer", "u32"], result: "i32" },
  // int32_t (const sss_tun *tun)
  sss_tun_offload: { parameters: ["pointer"], result: "i32" },
  // int32_t (sss_tun *tun, uint8_t *buf, uint32_t cap, int32_t timeout_ms, uint32_t *index, uint32_t index_cap, uint32_t *count_out)
  sss_tun_read_frames: { parameters: ["pointer", "buffer", "u32", "i32", "buffer", "u32", "buffer"], result: "i32", nonblocking: true },
  // int32_t (sss_tun *tun, const uint8_t *buf, uint32_t len, const uint8_t *filter, uint32_t filter_len, uint64_t *stats)
  sss_tun_write_frames: { parameters: ["pointer", "buffer", "u32", "buffer", "u32", "buffer"], result: "i32" },
  // int32_t (sss_tun *tun, uint32_t mss4, uint32_t mss6)
  sss_tun_set_mss: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  // void (const sss_tun *tun, uint64_t *out)
  sss_tun_mss_counters: { parameters: ["pointer", "buffer"], result: "void" },
  // int32_t (sss_tun *tun)
  sss_tun_wake: { parameters: ["pointer"], result: "i32" },
  // void (sss_tun *tun)
  sss_tun_close: { parameters: ["pointer"], result: "void" },
  // const char *(int32_t err)   (every facade's errors: unwrap.ts)
  sss_strerror: { parameters: ["i32"], result: "pointer" },

  // ---- native/vnet_header.c: the check of a peer's virtio_net_hdr (pure; for tests) ----
  // int32_t (const uint8_t *payload, uint32_t payload_len, uint32_t mtu, uint8_t *out)
  sss_vnet_header_rebuild: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The shim, opened with the one table. */
export type NativeLibrary = Deno.DynamicLibrary<typeof nativeSymbols>;

/** A name of the table. */
export type NativeSymbol = keyof typeof nativeSymbols;

/**
 * The part of the shim one facade's consumers need: the named functions (with sss_strerror when
 * they unwrap() its errors). The loaded NativeLibrary is one; a unit test's fake may provide just
 * these.
 */
export interface NativeShim<Names extends NativeSymbol> {
  readonly symbols: Pick<NativeLibrary["symbols"], Names>;
}
