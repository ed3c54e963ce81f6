/**
 * Builds one self-contained SSSonector executable per architecture into dist/:
 *
 *   deno run -A build.ts                 every target whose C compiler is present
 *   deno run -A build.ts --target x86_64 one target (x86_64 or aarch64); fails without its compiler
 *   deno run -A build.ts --native-only   only the TUN shims (no `deno compile`)
 *
 * For each target the C shim native/*.c is compiled with that architecture's compiler into
 * .build/<target>/libsssonector_tun.so and embedded into the executable by `deno compile
 * --include`; at run time src/tun/native_library.ts writes it to a private temporary file and
 * loads it. The shim and executable an earlier build left are removed first, so a target that
 * cannot be built leaves nothing stale behind to be embedded or tested. The executable gets the
 * permission set of deno.json (`-P`), as `./sssonector` does.
 *
 * The executable is src/main.ts and what it imports: the product only. The development tools
 * (tools/: lab, demo, benchmark) are not imported from src/, so they are never embedded
 * (tests/unit/product_graph_test.ts holds that).
 *
 * `deno compile` downloads Deno's runtime (denort) for the target from dl.deno.land; where that
 * site cannot be reached, point DENORT_BIN at a denort binary of the same Deno version.
 */
import { parseArgs } from "node:util";
import { v8FlagsArgument } from "./src/runtime/v8_flags.ts";
import { errorMessage } from "./src/runtime/error_message.ts";

const USAGE = "usage: deno run -A build.ts [--target x86_64|aarch64] [--native-only]";

interface Target {
  readonly arch: "x86_64" | "aarch64";
  readonly triple: string;
  /** C compilers to try, native first. */
  readonly compilers: readonly string[];
  /** What to `apt-get install` for the cross compiler and its C library headers. */
  readonly debianPackages: string;
}

export const TARGETS: readonly Target[] = [
  {
    arch: "x86_64",
    triple: "x86_64-unknown-linux-gnu",
    compilers: Deno.build.arch === "x86_64"
      ? ["cc", "x86_64-linux-gnu-gcc"]
      : ["x86_64-linux-gnu-gcc"],
    debianPackages: "gcc-x86-64-linux-gnu libc6-dev-amd64-cross",
  },
  {
    arch: "aarch64",
    triple: "aarch64-unknown-linux-gnu",
    compilers: Deno.build.arch === "aarch64"
      ? ["cc", "aarch64-linux-gnu-gcc"]
      : ["aarch64-linux-gnu-gcc"],
    debianPackages: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
  },
];

const ROOT = new URL(".", import.meta.url).pathname;

async function commandExists(name: string): Promise<boolean> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
    .output();
  return out.success;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const status = await new Deno.Command(cmd, { args, cwd: ROOT, env }).spawn().status;
  if (!status.success) throw new Error(`${cmd} exited with code ${status.code}`);
}

/** Path (relative to the checkout) of a target's shim, as embedded and looked up at run time. */
export function shimPath(triple: string): string {
  return `.build/${triple}/libsssonector_tun.so`;
}

/** Removes a file an earlier build made; a missing one is fine. */
async function removeStale(path: string): Promise<void> {
  try {
    await Deno.remove(`${ROOT}${path}`);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Compiles the shim for one target, after removing the one an earlier build left; returns false
 * (and leaves no shim) when no compiler for the target is installed.
 */
async function buildShim(target: Target): Promise<boolean> {
  await removeStale(shimPath(target.triple));
  let compiler: string | undefined;
  for (const candidate of target.compilers) {
    if (await commandExists(candidate)) {
      compiler = candidate;
      break;
    }
  }
  if (!compiler) return false;
  await Deno.mkdir(`${ROOT}.build/${target.triple}`, { recursive: true });
  await run(compiler, [
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-fPIC",
    "-shared",
    "-o",
    shimPath(target.triple),
    // Every native/*.c goes into the one shim, as in ./sssonector's build_native.
    ...[...Deno.readDirSync(`${ROOT}native`)].map((entry) => `native/${entry.name}`)
      .filter((path) => path.endsWith(".c")).sort(),
  ]);
  return true;
}

async function compileExecutable(target: Target): Promise<string> {
  const output = `dist/sssonector-${target.arch}`;
  await removeStale(output);
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  await run(Deno.execPath(), [
    "compile",
    "--frozen",
    "-P",
    // The runtime's V8 flags (gc() for src/runtime/garbage.ts, the lean GC): see v8_flags.ts.
    v8FlagsArgument(),
    "--target",
    target.triple,
    "--include",
    shimPath(target.triple),
    "--include",
    "deno.json",
    "--output",
    output,
    "src/main.ts",
  ]);
  return output;
}

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        target: { type: "string" },
        "native-only": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`build.ts: ${errorMessage(error)}`);
    console.error(USAGE);
    Deno.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const selected = TARGETS.filter((t) => values.target === undefined || t.arch === values.target);
  if (selected.length === 0) {
    console.error(`build.ts: unknown --target "${values.target}"; use x86_64 or aarch64`);
    Deno.exit(2);
  }
  const built: string[] = [];
  try {
    for (const target of selected) {
      if (!(await buildShim(target))) {
        const missing = `no C compiler for ${target.arch} ` +
          `(apt-get install ${target.debianPackages})`;
        // Asked for by name, the target must be built; by default it is skipped.
        if (values.target !== undefined) {
          console.error(`build.ts: ${missing}`);
          Deno.exit(1);
        }
        console.log(`skipping ${target.arch}: ${missing}`);
        continue;
      }
      if (values["native-only"]) {
        built.push(shimPath(target.triple));
        continue;
      }
      const executable = await compileExecutable(target);
      if (target.arch === Deno.build.arch) await run(`${ROOT}${executable}`, ["--version"]);
      built.push(executable);
    }
  } catch (error) {
    console.error(`build.ts: ${errorMessage(error)}`);
    console.error(
      "build.ts: if `deno compile` could not download denort, set DENORT_BIN to a local denort " +
        `binary of Deno ${Deno.version.deno}`,
    );
    Deno.exit(1);
  }
  if (built.length === 0) {
    console.error("build.ts: nothing was built");
    Deno.exit(1);
  }
  console.log(`built: ${built.join(", ")}`);
}
