/**
 * Every number written both in C (native/*.h) and in TypeScript, bound in one place: the C
 * compiler evaluates each SSS_* define of the headers (sizeof(struct virtio_net_hdr) included)
 * and each is compared with its TypeScript twin. A define added to a header must be bound here or
 * named C-only, with the reason. Needs a C compiler (the unit suite builds the shim with it
 * anyway); no root, no kernel.
 */
import assert from "node:assert/strict";
import {
  FRAME_HEADER_SIZE,
  FRAME_MAX_PAYLOAD,
  FrameType,
  VNET_HDR_SIZE,
} from "../../src/frame/constants.ts";
import { WRITE_STAT_COUNT, WriteStat, WriteStatus } from "../../src/frame/receiver.ts";
import {
  FILTER_RULE_SIZE,
  MAX_FILTER_RULES,
  RuleKind,
  Verdict,
} from "../../src/ip/packet_filter.ts";
import { PlainCounter } from "../../src/native/gso.ts";
import { DropFlag, DropStage } from "../../src/native/privilege.ts";
import { OpenFlag, OpenStage } from "../../src/native/tun.ts";
import { GSO_MAX_SEGMENTS, VnetCheck } from "../../src/native/vnet_header.ts";
import { ROUTE_PROTOCOL } from "../../src/tun/netlink.ts";

const NATIVE = new URL("../../native/", import.meta.url);

/** Each define of native/*.h that TypeScript also writes, with its twin. */
const TWINS: Record<string, number> = {
  // shim.h: the wire format
  SSS_FRAME_HEADER_SIZE: FRAME_HEADER_SIZE,
  SSS_FRAME_MAX_PAYLOAD: FRAME_MAX_PAYLOAD,
  SSS_FRAME_PACKET: FrameType.Packet,
  SSS_FRAME_PACKET_GSO: FrameType.PacketGso,
  SSS_VNET_HDR_SIZE: VNET_HDR_SIZE,
  // tun.h: opening the device, the write path's statuses and counters
  SSS_OPEN_OFFLOAD: OpenFlag.Offload,
  SSS_STAGE_OPEN: OpenStage.Open,
  SSS_STAGE_CREATE: OpenStage.Create,
  SSS_STAGE_OFFLOAD: OpenStage.Offload,
  SSS_STAGE_RESOURCES: OpenStage.Resources,
  SSS_WRITE_NEED_MORE: WriteStatus.NeedMore,
  SSS_WRITE_CONTROL: WriteStatus.Control,
  SSS_WRITE_BAD_FRAME: WriteStatus.BadFrame,
  SSS_WRITE_BAD_GSO: WriteStatus.BadGso,
  SSS_STAT_STATUS: WriteStat.Status,
  SSS_STAT_PACKETS: WriteStat.Packets,
  SSS_STAT_BYTES: WriteStat.Bytes,
  SSS_STAT_DROPPED_SPOOFED: WriteStat.DroppedSpoofed,
  SSS_STAT_DROPPED_MALFORMED: WriteStat.DroppedMalformed,
  SSS_STAT_DROPPED_WRITE_ERROR: WriteStat.DroppedWriteError,
  SSS_STAT_DROPPED_DESTINATION: WriteStat.DroppedDestination,
  SSS_STAT_DROPPED_LINK_LOCAL: WriteStat.DroppedLinkLocal,
  SSS_STAT_MSS_CLAMPED: WriteStat.MssClamped,
  SSS_STAT_SPOOFED_FAMILY: WriteStat.SpoofedFamily,
  SSS_STAT_SPOOFED_ADDRESS: WriteStat.SpoofedAddress,
  SSS_STAT_COUNT: WRITE_STAT_COUNT,
  // filter.h: the rules' layout and the verdicts
  SSS_RULE_SIZE: FILTER_RULE_SIZE,
  SSS_RULE_MAX: MAX_FILTER_RULES,
  SSS_RULE_SOURCE: RuleKind.Source,
  SSS_RULE_ALLOW_DESTINATION: RuleKind.AllowDestination,
  SSS_RULE_DENY_DESTINATION: RuleKind.DenyDestination,
  SSS_VERDICT_PASS: Verdict.Pass,
  SSS_VERDICT_MALFORMED: Verdict.Malformed,
  SSS_VERDICT_LINK_LOCAL: Verdict.LinkLocal,
  SSS_VERDICT_SPOOFED: Verdict.Spoofed,
  SSS_VERDICT_DESTINATION: Verdict.Destination,
  // gso.h: the conversion's counters
  SSS_PLAIN_SEGMENTS: PlainCounter.Segments,
  SSS_PLAIN_DROPPED: PlainCounter.Dropped,
  // netlink.h: the tunnel's routes
  SSS_RTPROT: ROUTE_PROTOCOL,
  // privilege.h: the drop's flags and the steps its errors name
  SSS_DROP_KEEP_NET_ADMIN: DropFlag.KeepNetAdmin,
  SSS_PRIV_STAGE_GROUPS: DropStage.Groups,
  SSS_PRIV_STAGE_GID: DropStage.Gid,
  SSS_PRIV_STAGE_UID: DropStage.Uid,
  SSS_PRIV_STAGE_VERIFY: DropStage.Verify,
  SSS_PRIV_STAGE_NO_NEW_PRIVS: DropStage.NoNewPrivs,
  SSS_PRIV_STAGE_SECCOMP: DropStage.Seccomp,
  SSS_PRIV_STAGE_KEEP_START: DropStage.KeepStart,
  SSS_PRIV_STAGE_KEEP_LIMIT: DropStage.KeepLimit,
  // vnet_header.h: the check of a peer's header
  SSS_GSO_MAX_SEGMENTS: GSO_MAX_SEGMENTS,
  SSS_VNET_OK: VnetCheck.Ok,
  SSS_VNET_SHORT: VnetCheck.Short,
  SSS_VNET_BAD_FLAGS: VnetCheck.BadFlags,
  SSS_VNET_BAD_PACKET: VnetCheck.BadPacket,
  SSS_VNET_BAD_TYPE: VnetCheck.BadType,
  SSS_VNET_BAD_CHECKSUM: VnetCheck.BadChecksum,
  SSS_VNET_BAD_SIZE: VnetCheck.BadSize,
  SSS_VNET_TOO_MANY_SEGMENTS: VnetCheck.TooManySegments,
};

/** Defines only C uses, and why no TypeScript twin exists. */
const C_ONLY: Record<string, string> = {
  SSS_MAX_IP_PACKET: "the largest IP packet the C write path accepts; TypeScript never sizes one",
  SSS_MSS_MAX_HEADERS: "how far mss.c reads into a SYN's headers",
};

async function headers(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(NATIVE)) {
    if (entry.name.endsWith(".h")) names.push(entry.name);
  }
  return names.toSorted();
}

/** The SSS_* value defines of native/*.h (not the include guards, not function-like macros). */
async function defines(): Promise<string[]> {
  const found: string[] = [];
  for (const name of await headers()) {
    const text = await Deno.readTextFile(new URL(name, NATIVE));
    for (const [, define] of text.matchAll(/^#define (SSS_[A-Z0-9_]+)[ \t]+\S/gm)) {
      found.push(define!);
    }
  }
  return found;
}

/** What the C compiler makes of each name, as the headers define it. */
async function evaluate(names: string[]): Promise<Record<string, number>> {
  const dir = await Deno.makeTempDir({ prefix: "sss-native-constants-" });
  try {
    const source = [
      "#include <stdio.h>",
      ...(await headers()).map((name) => `#include "${name}"`),
      "int main(void) {",
      ...names.map((name) => `  printf("${name} %lld\\n", (long long)(${name}));`),
      "  return 0;",
      "}",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/constants.c`, source);
    const nativeDir = decodeURIComponent(NATIVE.pathname);
    const compiled = await new Deno.Command("cc", {
      args: ["-I", nativeDir, "-o", `${dir}/constants`, `${dir}/constants.c`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(compiled.code, 0, new TextDecoder().decode(compiled.stderr));
    const ran = await new Deno.Command(`${dir}/constants`, { stdout: "piped" }).output();
    assert.equal(ran.code, 0);
    return Object.fromEntries(
      new TextDecoder().decode(ran.stdout).trim().split("\n").map((line) => {
        const [name, value] = line.split(" ");
        return [name!, Number(value)];
      }),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const DEFINES = await defines();

Deno.test("every SSS_* define of native/*.h has a TypeScript twin bound here, or is named C-only", () => {
  const unbound = DEFINES.filter((name) => !(name in TWINS) && !(name in C_ONLY));
  assert.deepEqual(unbound, [], "bind each in TWINS (or name it in C_ONLY, with the reason)");
  const gone = [...Object.keys(TWINS), ...Object.keys(C_ONLY)]
    .filter((name) => !DEFINES.includes(name));
  assert.deepEqual(gone, [], "no longer defined in native/*.h: drop it here");
});

Deno.test("native/*.h and src/ agree on every number both write, as the C compiler sees them", async () => {
  const c = await evaluate(Object.keys(TWINS));
  const differ = Object.entries(TWINS)
    .filter(([name, value]) => c[name] !== value)
    .map(([name, value]) => `${name}: C ${c[name]}, TypeScript ${value}`);
  assert.deepEqual(differ, []);
});
