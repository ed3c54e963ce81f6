/**
 * The PROXY protocol (haproxy.org's proxy-protocol.txt; version 2, and version 1, which is all
 * nginx's stream module sends), for a server behind a TLS passthrough front on the same port
 * (nginx with ssl_preread and `proxy_protocol on`, HAProxy with `send-proxy-v2`): the front
 * opens every connection with a header that names the client's address, then passes the
 * client's TLS through untouched. Only when the server is
 * configured for it (`proxy_protocol: true`) is a header read, and then every connection must
 * have one; a server not configured for it never looks for one.
 */
import type { Socket } from "node:net";
import { formatAddress } from "../ip/address.ts";
import { formatRemote } from "./secure_stream.ts";

/** The 12 bytes every v2 header starts with. */
export const PROXY_V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);

/** Longest header accepted: addresses and the TLVs fronts add (nginx sends none). */
export const MAX_PROXY_HEADER = 1024;

export type ProxyHeader =
  /** More bytes are needed to decide. */
  | { readonly kind: "incomplete" }
  /** A valid header of `length` bytes; `source` is the client (undefined: LOCAL or unspecified). */
  | { readonly kind: "header"; readonly length: number; readonly source: string | undefined }
  | { readonly kind: "invalid"; readonly reason: string };

const V1_PREFIX = "PROXY ";
/** Longest v1 line, CRLF included (the specification's bound). */
const V1_MAX = 107;

/**
 * Parses a PROXY header at the start of `bytes`: version 2 (binary, from HAProxy and others), or
 * version 1 (one text line: nginx's `proxy_protocol on` sends only this one). Pure.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeader {
  if (bytes.length > 0 && bytes[0] === 0x50) return parseProxyV1(bytes);
  return parseProxyV2(bytes);
}

/** Parses a v1 line (`PROXY TCP4 SRC DST SPORT DPORT\r\n`) at the start of `bytes`. Pure. */
export function parseProxyV1(bytes: Uint8Array): ProxyHeader {
  const head = new TextDecoder().decode(bytes.subarray(0, V1_MAX));
  if (!V1_PREFIX.startsWith(head.slice(0, V1_PREFIX.length)) && !head.startsWith(V1_PREFIX)) {
    return { kind: "invalid", reason: "no PROXY protocol header" };
  }
  const end = head.indexOf("\r\n");
  if (end < 0) {
    return bytes.length >= V1_MAX
      ? { kind: "invalid", reason: "a PROXY protocol v1 line without its end" }
      : { kind: "incomplete" };
  }
  const fields = head.slice(0, end).split(" ");
  const length = end + 2;
  if (fields[1] === "UNKNOWN") return { kind: "header", length, source: undefined };
  const [, family, source, , sourcePort] = fields;
  const port = Number(sourcePort);
  if (
    fields.length !== 6 || (family !== "TCP4" && family !== "TCP6") || !source ||
    !Number.isInteger(port) || port < 0 || port > 65535
  ) {
    return { kind: "invalid", reason: "a malformed PROXY protocol v1 line" };
  }
  return { kind: "header", length, source: formatRemote(source, port) };
}

/** Parses a v2 header at the start of `bytes`. Pure. */
export function parseProxyV2(bytes: Uint8Array): ProxyHeader {
  const signature = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signature; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) {
      return { kind: "invalid", reason: "no PROXY protocol header" };
    }
  }
  if (bytes.length < 16) return { kind: "incomplete" };
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) {
    return { kind: "invalid", reason: `PROXY protocol version ${versionCommand >> 4}` };
  }
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: "invalid", reason: `PROXY protocol command ${command}` };
  const length = 16 + ((bytes[14]! << 8) | bytes[15]!);
  if (length > MAX_PROXY_HEADER) {
    return { kind: "invalid", reason: `a PROXY header of ${length} bytes` };
  }
  if (bytes.length < length) return { kind: "incomplete" };
  if (command === 0) return { kind: "header", length, source: undefined }; // LOCAL: the front itself
  const family = bytes[13]! >> 4;
  const need = family === 1 ? 12 : family === 2 ? 36 : 0;
  if (need === 0) return { kind: "header", length, source: undefined };
  if (length - 16 < need) {
    return { kind: "invalid", reason: "a PROXY header too short for its addresses" };
  }
  const size = family === 1 ? 4 : 16;
  const address = formatAddress(bytes.slice(16, 16 + size));
  const portAt = 16 + 2 * size;
  const port = (bytes[portAt]! << 8) | bytes[portAt + 1]!;
  return { kind: "header", length, source: formatRemote(address, port) };
}

/**
 * Reads the PROXY header (v2 or v1) off a freshly accepted socket, puts back what follows it (the
 * client's TLS), and resolves with the client's address (undefined for a LOCAL header). Rejects
 * with one line when the connection has no valid header; the caller closes it.
 */
export function readProxyHeader(socket: Socket): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let got = new Uint8Array(0);
    const finish = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
    };
    const onEnd = () => {
      finish();
      reject(new Error("closed before a complete PROXY protocol header"));
    };
    const onData = (chunk: Uint8Array) => {
      const joined = new Uint8Array(got.length + chunk.length);
      joined.set(got);
      joined.set(chunk, got.length);
      got = joined;
      const header = parseProxyHeader(got);
      if (header.kind === "incomplete") return;
      finish();
      socket.pause();
      if (header.kind === "invalid") {
        reject(new Error(`${header.reason}, though proxy_protocol is on`));
        return;
      }
      const rest = got.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      resolve(header.source);
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
  });
}

/**
 * The listener's hook: hands `socket` to TLS at once, or, with PROXY protocol on, once its header
 * has been read, noting the client's address under `key` in `sources` for as long as the
 * connection lives. A connection without a valid header goes to `refuse` with the reason.
 */
export function handOver(
  socket: Socket,
  proxyProtocol: { readonly key: string; readonly sources: Map<string, string> } | undefined,
  toTls: (socket: Socket) => void,
  refuse: (reason: string) => void,
): void {
  if (!proxyProtocol) return toTls(socket);
  const { key, sources } = proxyProtocol;
  readProxyHeader(socket).then((source) => {
    if (source !== undefined) {
      sources.set(key, source);
      socket.once("close", () => sources.delete(key));
    }
    toTls(socket);
  }, (error: Error) => refuse(error.message));
}
