/**
 * The development tools' command line: `demo`, `bench [--quick] [--rounds N]`,
 * `bench --fleet [--quick]` and `soak [--minutes N]`, parsed by the product's own Go-style flag
 * tokenizer (src/cli/flag_parser.ts), so `-quick`, `--quick` and `--rounds=2` behave as the
 * product's flags do.
 *
 * @module
 */

import {
  alignedRows,
  flagLines,
  type FlagSpec,
  isFlagIn,
  refuseForeignFlags,
  tokenizeFlags,
} from "../src/cli/flag_parser.ts";
import { UsageError } from "../src/cli/errors.ts";
import { didYouMean } from "../src/config/suggest.ts";

/** What the tools' command line asks for. */
export type ToolCommand =
  | { readonly kind: "demo" }
  | {
    readonly kind: "bench";
    readonly quick: boolean;
    readonly rounds?: number;
    /** The many-client benchmark (tools/bench/fleet.ts) instead of the side-by-side one. */
    readonly fleet?: true;
    /** Across emulated wide-area paths beside UDP tunnels (tools/bench/wan_bench.ts). */
    readonly wan?: true;
    /** Idle sessions held on one server, up to this many (tools/bench/sessions_bench.ts). */
    readonly sessions?: number;
    /** The memory of each layer of the module graph (tools/bench/footprint.ts). */
    readonly footprint?: true;
  }
  | { readonly kind: "soak"; readonly minutes: number }
  | { readonly kind: "help" };

type ToolKind = ToolCommand["kind"];

/** The tools, named as a word: `./sssonector demo`, `./sssonector bench`. */
const TOOLS = ["demo", "bench", "soak"] as const;

export const TOOL_FLAGS = {
  "quick": {
    type: "boolean",
    commands: ["bench"],
    description: "bench: a short run instead of the full measurement",
  },
  "rounds": {
    type: "string",
    value: "N",
    commands: ["bench"],
    description: "bench: measure every row N times, interleaved, and report the spread " +
      "(default 3, with --quick 1)",
  },
  "fleet": {
    type: "boolean",
    commands: ["bench"],
    description: "bench: one server with many clients: memory per idle client, throughput " +
      "with 1, 4 and 16 clients, set-ups per second (--quick for short runs)",
  },
  "wan": {
    type: "boolean",
    commands: ["bench"],
    description: "bench: across emulated wide-area paths (delay, loss, a bottleneck) beside " +
      "OpenVPN over UDP and TCP and wireguard-go (--quick for 5 s transfers)",
  },
  "sessions": {
    type: "string",
    value: "N",
    commands: ["bench"],
    description: "bench: one server holding up to N idle sessions (a tenth, a quarter, half, " +
      "all): its RSS, CPU and keepalive round trips, set-ups per second, a new client's " +
      "admission time",
  },
  "footprint": {
    type: "boolean",
    commands: ["bench"],
    description: "bench: the memory of a process after each layer of what the tunnel loads " +
      "(runtime, Node layer, npm packages, our modules), no traffic",
  },
  "minutes": {
    type: "string",
    value: "N",
    commands: ["soak"],
    description: "soak: how long to run (default 10)",
  },
  "help": {
    type: "boolean",
    short: "h",
    commands: [],
    description: "show this help",
  },
} as const satisfies Record<string, FlagSpec<ToolKind>>;

/** Most sessions `bench --sessions` opens: the server's own max_clients limit is 100000. */
const MAX_SESSIONS = 50_000;

/** Most rounds a bench may ask for: 20 full rounds already take over an hour. */
const MAX_ROUNDS = 20;

/**
 * Parses the arguments after the launcher's name, e.g. `["bench", "--quick"]`.
 *
 * @throws {UsageError} with one line naming the unknown, misplaced or malformed argument.
 */
export function parseToolCommandLine(argv: readonly string[]): ToolCommand {
  const { flags, words } = tokenizeFlags(argv, TOOL_FLAGS);
  if (flags.some((flag) => flag.name === "help")) return { kind: "help" };
  const [word, ...extra] = words;
  if (word === undefined) {
    // A flag without its tool: name the tool it belongs to.
    refuseForeignFlags(flags, TOOL_FLAGS, "help", (kind) => kind);
    return { kind: "help" };
  }
  const kind = TOOLS.find((tool) => tool === word);
  if (kind === undefined) throw unexpectedWord(word, true);
  if (extra[0] !== undefined) throw unexpectedWord(extra[0], false);
  refuseForeignFlags(flags, TOOL_FLAGS, kind, (owner) => owner);
  if (kind === "demo") return { kind };
  if (kind === "soak") {
    const minutes = flags.find((flag) => flag.name === "minutes")?.value;
    return { kind, minutes: minutes === undefined ? 10 : wholeNumber("--minutes", minutes, 600) };
  }
  const quick = flags.some((flag) => flag.name === "quick");
  const rounds = flags.find((flag) => flag.name === "rounds")?.value;
  if (flags.some((flag) => flag.name === "footprint")) {
    if (flags.some((flag) => flag.name !== "footprint")) {
      throw new UsageError("--footprint is used alone: it measures module graphs, once");
    }
    return { kind, quick, footprint: true };
  }
  const sessions = flags.find((flag) => flag.name === "sessions")?.value;
  if (sessions !== undefined) {
    if (
      rounds !== undefined || flags.some((flag) => flag.name === "fleet" || flag.name === "wan")
    ) {
      throw new UsageError("--sessions is used alone or with --quick: it measures each count once");
    }
    return { kind, quick, sessions: wholeNumber("--sessions", sessions, MAX_SESSIONS) };
  }
  if (flags.some((flag) => flag.name === "wan")) {
    if (flags.some((flag) => flag.name === "fleet")) {
      throw new UsageError("--wan is used alone, with --quick or with --rounds N");
    }
    // With --rounds: the interleaved duel on the 40 ms / 1 % / 100 Mbit/s path (wan_rounds.ts).
    return rounds === undefined
      ? { kind, quick, wan: true }
      : { kind, quick, wan: true, rounds: roundCount(rounds) };
  }
  if (flags.some((flag) => flag.name === "fleet")) {
    if (rounds !== undefined) {
      throw new UsageError("--rounds is not used with --fleet: it measures each count once");
    }
    return { kind, quick, fleet: true };
  }
  return rounds === undefined ? { kind, quick } : { kind, quick, rounds: roundCount(rounds) };
}

function unexpectedWord(word: string, mayBeTool: boolean): UsageError {
  const asFlag = word.replace(/^-*/, "");
  if (isFlagIn(TOOL_FLAGS, asFlag)) {
    return new UsageError(`unexpected argument "${word}" (did you mean "--${asFlag}"?)`);
  }
  if (mayBeTool) return new UsageError(`unknown command "${word}"${didYouMean(word, TOOLS)}`);
  return new UsageError(`unexpected argument "${word}"`);
}

function roundCount(text: string): number {
  return wholeNumber("--rounds", text, MAX_ROUNDS);
}

function wholeNumber(flag: string, text: string, max: number): number {
  const count = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(count) || count < 1 || count > max) {
    throw new UsageError(
      `${flag} "${text}" is not allowed; expected a whole number from 1 to ${max}`,
    );
  }
  return count;
}

const COMMANDS: readonly (readonly [string, string])[] = [
  ["./sssonector demo", "run a demonstration tunnel on this machine"],
  [
    "./sssonector bench [--quick] [--rounds N]",
    "measure the tunnel's throughput and latency on this machine, beside plain veth and OpenVPN",
  ],
  [
    "./sssonector bench --fleet [--quick]",
    "one server with many clients: RSS per idle client, throughput with 1, 4 and 16 clients at " +
    "once, tunnel set-ups and bare TLS handshakes per second",
  ],
  [
    "./sssonector bench --wan [--quick]",
    "across emulated wide-area paths (40 ms / 1 % loss, the same with a 100 Mbit/s bottleneck, " +
    "10 ms / 2 %): throughput and round trips beside OpenVPN UDP/TCP and wireguard-go",
  ],
  [
    "./sssonector bench --wan --rounds N [--quick]",
    "the 40 ms / 1 % / 100 Mbit/s path only, N interleaved rounds of SSSonector, wireguard-go " +
    "and OpenVPN UDP: round trips under load, the bottleneck's queue, throughput",
  ],
  [
    "./sssonector bench --sessions N [--quick]",
    "one server holding N/10, N/4, N/2 and N idle sessions from a protocol-level load " +
    "generator: RSS and KiB per session, CPU, keepalive round trips, set-ups per second and " +
    "a new client's admission time",
  ],
  [
    "./sssonector bench --footprint",
    "the memory of a process after each layer of what the tunnel loads: the runtime, its Node " +
    "layer, the npm packages, our server and client modules, with and without the code cache",
  ],
  [
    "./sssonector soak [--minutes N]",
    "N minutes of traffic with a reconnect every minute and a stranger's flood every other; " +
    "the server's RSS and descriptors over time",
  ],
  ["./sssonector demo --help", "show this help"],
];

/** The tools' `--help` text. */
export function toolUsageText(): string {
  return [
    "SSSonector's development tools, run from a source checkout (the shipped program has none).",
    "Both need root: they build network namespaces and TUN devices, and remove them again.",
    "",
    "Usage:",
    ...COMMANDS.map(([synopsis, description]) => `  ${synopsis}\n      ${description}`),
    "  (deno task demo and deno task bench ... run the same through the launcher)",
    "",
    "Flags (-name and --name are the same; --name=VALUE also works):",
    ...flagLines(TOOL_FLAGS),
    "",
    "Exit codes:",
    ...alignedRows([["0", "success"], ["1", "failure"], ["2", "usage error"]]),
    "",
  ].join("\n");
}
