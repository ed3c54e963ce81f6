/**
 * What a capture of a TLS connection shows on the wire: each direction's TCP payload put back
 * in order from a pcap file (Ethernet, IPv4), then walked record by record (type, version,
 * length) the way a middlebox or Wireshark sees it. Pure: bytes in, a summary out.
 */

export interface RecordSummary {
  /** "198.18.0.2:40000 -> 198.18.0.1:4443" */
  readonly direction: string;
  /** Records per content type (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data). */
  readonly byType: Record<number, number>;
  /** Records whose legacy version is not 0x0303 (TLS 1.3 records always say 0x0303). */
  readonly otherVersions: number;
  /** Records longer than 2^14 + 256 bytes (RFC 8446 5.2's limit). */
  readonly oversized: number;
  /** Bytes walked as whole records, and bytes after them (a record the capture cut short). */
  readonly bytes: number;
  readonly trailingBytes: number;
}

interface Segment {
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** Each TCP direction's payload segments from a pcap file (microsecond or nanosecond). */
export function tcpSegments(pcap: Uint8Array): Map<string, Segment[]> {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const magic = view.getUint32(0, true);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) {
    throw new SyntaxError(`Not a little-endian pcap file: magic 0x${magic.toString(16)}`);
  }
  if (view.getUint32(20, true) !== 1) throw new SyntaxError("Not an Ethernet capture");
  const flows = new Map<string, Segment[]>();
  for (let at = 24; at + 16 <= pcap.length;) {
    const caught = view.getUint32(at + 8, true);
    const frame = pcap.subarray(at + 16, at + 16 + caught);
    at += 16 + caught;
    if (frame.length < 14 + 20 || frame[12] !== 0x08 || frame[13] !== 0x00) continue;
    const ip = frame.subarray(14);
    const ihl = (ip[0]! & 0x0f) * 4;
    const total = (ip[2]! << 8) | ip[3]!;
    if (ip[9] !== 6) continue;
    const tcp = ip.subarray(ihl, Math.min(total, ip.length));
    const dataOffset = (tcp[12]! >> 4) * 4;
    const payload = tcp.subarray(dataOffset);
    if (payload.length === 0) continue;
    const port = (i: number) => (tcp[i]! << 8) | tcp[i + 1]!;
    const key = `${ip.subarray(12, 16).join(".")}:${port(0)} -> ${ip.subarray(16, 20).join(".")}:${
      port(2)
    }`;
    const seq = new DataView(tcp.buffer, tcp.byteOffset + 4, 4).getUint32(0);
    const list = flows.get(key) ?? [];
    list.push({ seq, payload });
    flows.set(key, list);
  }
  return flows;
}

/** The in-order stream from the first segment on, retransmissions dropped, up to a gap. */
export function reassemble(segments: readonly Segment[]): Uint8Array {
  if (segments.length === 0) return new Uint8Array();
  const first = segments[0]!.seq;
  const offset = (s: Segment) => (s.seq - first) >>> 0;
  const sorted = [...segments].sort((a, b) => offset(a) - offset(b));
  const parts: Uint8Array[] = [];
  let next = 0;
  for (const s of sorted) {
    const start = offset(s);
    if (start > next) break;
    const fresh = s.payload.subarray(next - start);
    if (fresh.length === 0) continue;
    parts.push(fresh);
    next += fresh.length;
  }
  const out = new Uint8Array(next);
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

/** Walks TLS records from the start of a direction's stream. */
export function walkRecords(direction: string, stream: Uint8Array): RecordSummary {
  const byType: Record<number, number> = {};
  let otherVersions = 0, oversized = 0, at = 0;
  while (at + 5 <= stream.length) {
    const length = (stream[at + 3]! << 8) | stream[at + 4]!;
    if (at + 5 + length > stream.length) break;
    const type = stream[at]!;
    byType[type] = (byType[type] ?? 0) + 1;
    const version = (stream[at + 1]! << 8) | stream[at + 2]!;
    // The ClientHello's record may say 0x0301 (RFC 8446 5.1); every later record says 0x0303.
    const firstHello = at === 0 && type === 22 && version === 0x0301;
    if (version !== 0x0303 && !firstHello) otherVersions++;
    if (length > 16384 + 256) oversized++;
    at += 5 + length;
  }
  return {
    direction,
    byType,
    otherVersions,
    oversized,
    bytes: at,
    trailingBytes: stream.length - at,
  };
}

/** Every direction of a capture, walked. */
export function summarizeCapture(pcap: Uint8Array): RecordSummary[] {
  return [...tcpSegments(pcap)].map(([direction, segments]) =>
    walkRecords(direction, reassemble(segments))
  );
}
