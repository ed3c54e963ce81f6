/**
 * The facade of native/tcp_socket.c: a carrier's TCP socket found by its two endpoints among the
 * process's descriptors, its TCP_NOTSENT_LOWAT, congestion control, user timeout and TCP_INFO
 * (src/transport/carrier_socket.ts words what they mean for a session).
 *
 * @module
 */
import type { NativeShim } from "./symbols.ts";

/** The functions of native/tcp_socket.c (the loaded NativeLibrary is one). */
export type TcpSocketSymbols = NativeShim<
  | "sss_tcp_find"
  | "sss_tcp_set_notsent_lowat"
  | "sss_tcp_set_congestion"
  | "sss_tcp_get_congestion"
  | "sss_tcp_info"
  | "sss_tcp_set_user_timeout"
  | "sss_tcp_local_address_present"
  | "sss_tcp_set_thin_stream"
  | "sss_tcp_set_max_pacing_rate"
>;
