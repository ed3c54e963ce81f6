/**
 * The symbol table of the native shim (native/*.c, one library), with the C signature beside each
 * parameter.
 */
export const tunSymbols = {
  sss_tun_open: {
    // sss_tun *(const char *name, uint32_t flags, char *name_out, int32_t *err)
    parameters: ["buffer", "u32", "buffer", "buffer"],
    result: "pointer",
  },
  sss_tun_configure: {
    // int32_t (sss_tun *tun, const uint8_t *ipv4, uint32_t prefix_length, uint32_t mtu)
    parameters: ["pointer", "buffer", "u32", "u32"],
    result: "i32",
  },
  sss_tun_offload: {
    // int32_t (const sss_tun *tun)
    parameters: ["pointer"],
    result: "i32",
  },
  sss_tun_read_frames: {
    // int32_t (sss_tun *tun, uint8_t *buf, uint32_t cap, int32_t timeout_ms,
    //          uint32_t *index, uint32_t index_cap, uint32_t *count_out)
    parameters: ["pointer", "buffer", "u32", "i32", "buffer", "u32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  sss_tun_write_frames: {
    // int32_t (sss_tun *tun, const uint8_t *buf, uint32_t len, const uint8_t *filter,
    //          uint32_t filter_len, uint64_t *stats)
    parameters: ["pointer", "buffer", "u32", "buffer", "u32", "buffer"],
    result: "i32",
  },
  sss_tun_set_mss: {
    // int32_t (sss_tun *tun, uint32_t mss4, uint32_t mss6)
    parameters: ["pointer", "u32", "u32"],
    result: "i32",
  },
  sss_tun_mss_counters: {
    // void (const sss_tun *tun, uint64_t *out)
    parameters: ["pointer", "buffer"],
    result: "void",
  },
  sss_packet_verdict: {
    // int32_t (const uint8_t *rules, uint32_t rules_len, const uint8_t *packet, uint32_t len)
    //   (native/filter.c; for tests that compare it with src/ip/packet_filter.ts)
    parameters: ["buffer", "u32", "buffer", "u32"],
    result: "i32",
  },
  sss_mss_clamp: {
    // int32_t (uint8_t *packet, uint32_t len, uint32_t mss4, uint32_t mss6,
    //          int32_t checksum_partial)   (native/mss.c; pure, for tests)
    parameters: ["buffer", "u32", "u32", "u32", "i32"],
    result: "i32",
  },
  sss_frames_without_offload: {
    // int32_t (const uint8_t *in, uint32_t in_len, uint8_t *out, uint32_t out_cap,
    //          uint32_t *out_len, uint64_t *counters)
    parameters: ["buffer", "u32", "buffer", "u32", "buffer", "buffer"],
    result: "i32",
  },
  sss_tun_wake: {
    // int32_t (sss_tun *tun)
    parameters: ["pointer"],
    result: "i32",
  },
  sss_tun_close: {
    // void (sss_tun *tun)
    parameters: ["pointer"],
    result: "void",
  },
  sss_drop_privileges: {
    // int32_t (uint32_t uid, uint32_t gid, const uint32_t *groups, uint32_t n_groups,
    //          uint32_t flags, int32_t *err)   (native/privilege.c)
    parameters: ["u32", "u32", "buffer", "u32", "u32", "buffer"],
    result: "i32",
  },
  sss_thread_status: {
    // int32_t (uint8_t *buf, uint32_t cap, uint32_t *len_out)   (native/privilege.c)
    parameters: ["buffer", "u32", "buffer"],
    result: "i32",
  },
  // ---- routes, addresses and the netlink agent (native/netlink.c) ----
  sss_if_index: {
    // int32_t (const char *name)
    parameters: ["buffer"],
    result: "i32",
  },
  sss_if_name: {
    // int32_t (uint32_t index, char *name_out)
    parameters: ["u32", "buffer"],
    result: "i32",
  },
  sss_route_add: {
    // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length,
    //          uint32_t metric, int32_t *conflict)
    parameters: ["u32", "u32", "buffer", "u32", "u32", "buffer"],
    result: "i32",
  },
  sss_route_del: {
    // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length,
    //          uint32_t metric)
    parameters: ["u32", "u32", "buffer", "u32", "u32"],
    result: "i32",
  },
  sss_addr_add: {
    // int32_t (uint32_t ifindex, uint32_t family, const uint8_t *address, uint32_t prefix_length)
    parameters: ["u32", "u32", "buffer", "u32"],
    result: "i32",
  },
  sss_net_sysctl: {
    // int32_t (const char *name, uint8_t *buf, uint32_t cap)
    parameters: ["buffer", "buffer", "u32"],
    result: "i32",
  },
  sss_netlink_agent_tid: {
    // int32_t (void)
    parameters: [],
    result: "i32",
  },
  // ---- end of native/netlink.c ----
  sss_tcp_find: {
    // int32_t (int32_t hint, const uint8_t *local, uint32_t local_len, uint32_t local_port,
    //          const uint8_t *peer, uint32_t peer_len, uint32_t peer_port)   (native/tcp_socket.c)
    parameters: ["i32", "buffer", "u32", "u32", "buffer", "u32", "u32"],
    result: "i32",
  },
  sss_tcp_set_notsent_lowat: {
    // int32_t (int32_t fd, uint32_t bytes)
    parameters: ["i32", "u32"],
    result: "i32",
  },
  sss_tcp_set_congestion: {
    // int32_t (int32_t fd, const char *name)
    parameters: ["i32", "buffer"],
    result: "i32",
  },
  sss_tcp_get_congestion: {
    // int32_t (int32_t fd, char *out, uint32_t cap)
    parameters: ["i32", "buffer", "u32"],
    result: "i32",
  },
  sss_tcp_info: {
    // int32_t (int32_t fd, uint64_t *out)
    parameters: ["i32", "buffer"],
    result: "i32",
  },
  sss_tcp_set_user_timeout: {
    // int32_t (int32_t fd, uint32_t ms)
    parameters: ["i32", "u32"],
    result: "i32",
  },
  sss_tcp_local_address_present: {
    // int32_t (int32_t fd)
    parameters: ["i32"],
    result: "i32",
  },
  // ---- end of native/tcp_socket.c ----
  sss_strerror: {
    // const char *(int32_t err)
    parameters: ["i32"],
    result: "pointer",
  },
} as const satisfies Deno.ForeignLibraryInterface;

export type TunLibrary = Deno.DynamicLibrary<typeof tunSymbols>;
