/**
 * The door's first read: a connection is handed to node:tls only once its whole first TLS record
 * (the ClientHello) has arrived on the plain socket. In Deno 2.9.6 every connection node:tls wraps
 * that then ends before its handshake completes keeps about 30 KB for good (docs/security/door.md);
 * a connection that never sends a complete ClientHello (idle, half a Hello) is now closed by the
 * door without ever being wrapped, so a crowd of them costs nothing that outlives it.
 *
 * The record's length comes from its 5-byte header (type, version, length); a record carries at
 * most 2^14 bytes, so at most 16,389 bytes are held per connection before TLS takes over (plus
 * what the last read brought along: one read of at most 64 KiB). Anything that is not a
 * handshake record (an SSLv2-style hello, HTTP, garbage) is handed over after its first 5 bytes,
 * so node:tls fails it with its own diagnosis.
 *
 * @module
 */
import type { Socket } from "node:net";

/** TLS record type of a handshake message (RFC 8446 section 5.1). */
const HANDSHAKE = 0x16;
/** Record header: type, version (2), length (2). */
export const RECORD_HEADER = 5;
/** Largest record plaintext (2^14); a ClientHello record is never longer. */
export const MAX_RECORD = 16_384;

/**
 * How many bytes at the start of `bytes` the door waits for before handing the connection to TLS:
 * the whole first record when it is a handshake record of a sane length, else the header alone.
 * Undefined while the header itself is incomplete. Pure.
 */
export function firstRecordLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < RECORD_HEADER) return undefined;
  if (bytes[0] !== HANDSHAKE) return RECORD_HEADER;
  const length = (bytes[3]! << 8) | bytes[4]!;
  if (length === 0 || length > MAX_RECORD) return RECORD_HEADER;
  return RECORD_HEADER + length;
}

/**
 * Reads `socket` until its first record is complete (firstRecordLength), puts every byte read back
 * (unshift) and pauses it, so node:tls reads them first. Resolves then; rejects with one line when
 * the connection ends first (the caller closes it). The caller's handshake deadline bounds the wait.
 */
export function readFirstRecord(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let got = 0;
    let head = new Uint8Array(0);
    const finish = () => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
    };
    const onEnd = () => {
      finish();
      reject(new Error("closed before a complete ClientHello"));
    };
    // A reset before TLS has the socket: nobody else listens for its error yet.
    const onError = (error: Error) => {
      finish();
      reject(new Error(`reset before a complete ClientHello (${error.message})`));
    };
    const onData = (chunk: Uint8Array) => {
      chunks.push(chunk);
      got += chunk.length;
      if (head.length < RECORD_HEADER) {
        const joined = new Uint8Array(Math.min(RECORD_HEADER, head.length + chunk.length));
        joined.set(head);
        joined.set(chunk.subarray(0, joined.length - head.length), head.length);
        head = joined;
      }
      const need = firstRecordLength(head);
      if (need === undefined || got < need) return;
      finish();
      socket.pause();
      const all = new Uint8Array(got);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      socket.unshift(all);
      resolve();
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("close", onEnd);
    socket.on("error", onError);
    socket.resume();
  });
}
