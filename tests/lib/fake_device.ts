/**
 * A TUN device in memory (the device port of src/tunnel/device.ts), for the TunReader tests and
 * the in-process suite: the test plays the kernel. What the device "reads" are the batches the
 * test queues (`queue`, or `send` for a bare IP packet); what sessions write to it is decided by
 * the packet filter as the native shim decides (RecordingWriter) and kept in `received`. Routes
 * added and removed are kept in `routes`.
 */
import { encodeFrame } from "../../src/frame/codec.ts";
import { FrameType } from "../../src/frame/constants.ts";
import { formatPrefix, type IpPrefix } from "../../src/ip/prefix.ts";
import type { MssClampCounters, ReadBatch } from "../../src/tun/device.ts";
import type { ConversionResult, FrameConverter } from "../../src/tun/offload.ts";
import type { PacketFilter } from "../../src/ip/packet_filter.ts";
import type { TunnelDevice } from "../../src/tunnel/device.ts";
import { RecordingWriter } from "./recording_writer.ts";

/** One framed packet and the IPv4 destination the index gives it (0 for IPv6). */
export interface QueuedFrame {
  readonly destination: number;
  readonly frame: Uint8Array;
}

/** Stands in for segmentation: copies the frames and counts each call as one conversion. */
export class FakeConverter implements FrameConverter {
  calls = 0;
  get counters() {
    return { converted: this.calls, dropped: 0 };
  }
  convert(input: Uint8Array, output: Uint8Array): ConversionResult {
    output.set(input, 0);
    this.calls++;
    return { consumed: input.length, written: input.length };
  }
}

export class FakeDevice implements TunnelDevice {
  readonly name: string;
  readonly addresses: readonly IpPrefix[];
  offload = false;
  readonly converter = new FakeConverter();
  /** Routes through the device now, formatted (`192.168.1.0/24`). */
  readonly routes = new Set<string>();
  /** A route whose addRoute throws (formatted), to play a kernel that refuses it. */
  refuseRoute: string | undefined;
  #writer = new RecordingWriter();
  #batches: QueuedFrame[][] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(name = "fake0", addresses: readonly IpPrefix[] = []) {
    this.name = name;
    this.addresses = addresses;
  }

  /** IP packets sessions wrote to the device (what the kernel received), oldest first. */
  get received(): Uint8Array[] {
    return this.#writer.packets;
  }

  /** Queues one batch of frames for the reader. */
  queue(...frames: QueuedFrame[]): void {
    this.#batches.push(frames);
    this.#wake?.();
  }

  /** Queues one IP packet as the kernel would hand it to the device (framed, indexed). */
  send(packet: Uint8Array): void {
    const v4 = packet[0]! >> 4 === 4;
    const destination = v4 ? new DataView(packet.buffer, packet.byteOffset).getUint32(16) : 0;
    this.queue({ destination, frame: encodeFrame(FrameType.Packet, packet) });
  }

  /** Batches not yet read. */
  get pending(): number {
    return this.#batches.length;
  }

  async readFrames(buffer: Uint8Array, index: Uint32Array): Promise<ReadBatch> {
    if (this.#batches.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    const batch = this.#batches.shift();
    if (!batch) return { bytes: 0, count: 0 };
    let offset = 0;
    batch.forEach(({ destination, frame }, i) => {
      buffer.set(frame, offset);
      index[2 * i] = offset;
      index[2 * i + 1] = destination;
      offset += frame.length;
    });
    return { bytes: offset, count: batch.length };
  }

  writeFrames(bytes: Uint8Array, filter: PacketFilter, stats: BigUint64Array): number {
    if (this.#closed) return bytes.length;
    return this.#writer.writeFrames(bytes, filter, stats);
  }

  wake(): void {
    this.#wake?.();
  }

  addRoute(route: IpPrefix, metric = 0): void {
    if (this.#closed) throw new Error(`TUN device ${this.name} is closed`);
    const text = routeText(route, metric);
    if (text === this.refuseRoute) {
      throw new Error(`cannot add route ${text} to ${this.name}: operation not permitted`);
    }
    this.routes.add(text);
  }

  removeRoute(route: IpPrefix, metric = 0): void {
    if (this.#closed) throw new Error(`TUN device ${this.name} is closed`);
    this.routes.delete(routeText(route, metric));
  }

  mssClamped(): MssClampCounters {
    return { read: 0, written: 0 };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Removes the "interface": its routes go with it, as the kernel's do. */
  close(): void {
    this.#closed = true;
    this.routes.clear();
    this.#wake?.();
  }
}

/** How `routes` holds a route: the prefix, with " metric N" when it has one (a pool's). */
function routeText(route: IpPrefix, metric: number): string {
  return metric === 0 ? formatPrefix(route) : `${formatPrefix(route)} metric ${metric}`;
}
