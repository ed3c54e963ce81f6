/**
 * The TUN doorbell (native/tun_doorbell.c): a shim thread waits for the device to become readable
 * and writes one byte into a unix stream socket that this thread reads natively on Deno's event
 * loop; the packets themselves are then read here, synchronously. Without it, each read is a
 * `nonblocking` FFI call that Deno runs on its blocking thread pool, and the result reaches JS
 * only after a second hand-off (docs/performance.md, "Latency", has the measurements).
 *
 * The socket lives for an instant in a private folder (mode 0700): the shim accepts exactly one
 * connection, and only from this process (SO_PEERCRED), then removes the path.
 *
 * @module
 */

import type { TunLibrary } from "./ffi.ts";
import { unwrap } from "./unwrap.ts";

export class TunDoorbell {
  #lib: TunLibrary;
  #bell: Deno.PointerObject | null;
  #conn: Deno.UnixConn;
  #byte = new Uint8Array(64);

  private constructor(lib: TunLibrary, bell: Deno.PointerObject, conn: Deno.UnixConn) {
    this.#lib = lib;
    this.#bell = bell;
    this.#conn = conn;
  }

  /** Starts the shim's doorbell thread for the device `tun` and connects to it. */
  static async open(lib: TunLibrary, tun: Deno.PointerObject): Promise<TunDoorbell> {
    const dir = Deno.makeTempDirSync({ prefix: "sssonector-bell-" });
    const path = `${dir}/bell`;
    try {
      const err = new Int32Array(1);
      const bell = unwrap(
        lib,
        lib.symbols.sss_doorbell_start(tun, new TextEncoder().encode(path + "\0"), err),
        "cannot start the TUN doorbell",
        err,
      );
      let conn: Deno.UnixConn;
      try {
        conn = await Deno.connect({ transport: "unix", path });
      } catch (error) {
        lib.symbols.sss_doorbell_stop(bell);
        throw error;
      }
      return new TunDoorbell(lib, bell, conn);
    } finally {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // the shim removed the socket; an empty folder left in /tmp is harmless
      }
    }
  }

  /**
   * Resolves once the device is readable, `timeoutMs` has passed (negative: never) or ring() was
   * called; false when the doorbell is gone (closed, or its thread ended).
   */
  async wait(timeoutMs: number): Promise<boolean> {
    if (this.#bell === null) return false;
    this.#lib.symbols.sss_doorbell_arm(this.#bell, timeoutMs);
    try {
      const n = await this.#conn.read(this.#byte);
      return n !== null;
    } catch {
      return false;
    }
  }

  /** Ends a pending wait() at once. */
  ring(): void {
    if (this.#bell !== null) this.#lib.symbols.sss_doorbell_ring(this.#bell);
  }

  /** Stops the thread and closes the socket; safe to call twice. */
  close(): void {
    if (this.#bell === null) return;
    this.#lib.symbols.sss_doorbell_stop(this.#bell);
    this.#bell = null;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
