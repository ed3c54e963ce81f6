/**
 * Builds SSSonector's artifacts, one per architecture, into dist/:
 *
 *   ./sssonector build                   every target whose C compiler is present (the launcher
 *                                        runs this file with the pinned Deno)
 *   ./sssonector build --target x86_64   one target (x86_64 or aarch64); fails without its compiler
 *   ./sssonector build --native-only     only the TUN shims
 *   ./sssonector build --no-deb          no Debian packages
 *
 * For each target:
 *
 * 1. The C shim native/*.c is compiled with that architecture's compiler into
 *    .build/<triple>/libsssonector_tun.so. The shim and artifacts an earlier build left are
 *    removed first, so a target that cannot be built leaves nothing stale behind.
 * 2. The offline bundle `dist/sssonector-<arch>.tar.gz`, which needs nothing on the host but
 *    glibc, /bin/sh and root. It unpacks into one folder:
 *
 *        sssonector/sssonector                 entry script: the compiled binary's command line
 *        sssonector/lib/deno                   the pinned Deno (npm: @deno/linux-<cpu>-glibc)
 *        sssonector/lib/bin/sssonector         symlink to ../deno: the process's name
 *        sssonector/share/                     units, logrotate and cron files, example configs
 *        sssonector/lib/sssonector.js          src/main.ts with every dependency inlined
 *        sssonector/lib/libsssonector_tun.so   the shim for that architecture
 *        sssonector/lib/deno-dir/              Deno's private cache folder (starts empty)
 *        sssonector/BUILD                      what `--version` prints
 *
 *    The program file is `deno bundle --platform deno src/main.ts` with the git commit baked in
 *    (src/base/version.ts). The entry script runs it with `--cached-only`, the permission set of
 *    deno.json (`permissions.default`, what `-P` gives the launcher and `deno compile`), the V8
 *    flags of src/runtime/v8_flags.ts and SSSONECTOR_TUN_LIB naming the shim. Deno comes from
 *    the npm registry at the launcher's pinned version: the running one when it is that version
 *    and architecture, else `npm pack` into .build/deno-<version>/ (kept for the next build).
 * 3. The Debian package `dist/sssonector_<version>_<amd64|arm64>.deb` of that bundle
 *    (packaging/debian.ts), when dpkg-deb is installed.
 * 4. When DENORT_BIN names a denort binary (`deno compile` needs one; it cannot be downloaded
 *    here), also the single executable `dist/sssonector-<arch>` for the target of that binary's
 *    architecture, with the shim embedded (`--include`) and the same permissions and V8 flags.
 *
 * What ships is src/main.ts and what it imports: the development tools (tools/: lab, demo,
 * benchmark) are never imported from src/ (tests/unit/product_graph_test.ts holds that).
 */
import { parseArgs } from "node:util";
import { CODE_CACHE_FLAG, v8FlagsArgument } from "./src/runtime/v8_flags.ts";
import { errorMessage } from "./src/base/error_message.ts";
import denoJson from "./deno.json" with { type: "json" };
import { buildDeb, debPath } from "./packaging/debian.ts";

const USAGE = "usage: ./sssonector build [--target x86_64|aarch64] [--native-only] [--no-deb]";

/** The literal src/base/version.ts carries until build.ts bakes the commit in. */
export const COMMIT_PLACEHOLDER = "@SSSONECTOR_BUILD_COMMIT@";

interface Target {
  readonly arch: "x86_64" | "aarch64";
  readonly triple: string;
  /** C compilers to try, native first. */
  readonly compilers: readonly string[];
  /** What to `apt-get install` for the cross compiler and its C library headers. */
  readonly debianPackages: string;
  /** The npm package that carries Deno for this architecture. */
  readonly denoPackage: string;
  /** ELF e_machine of this architecture's binaries. */
  readonly elfMachine: number;
}

export const TARGETS: readonly Target[] = [
  {
    arch: "x86_64",
    triple: "x86_64-unknown-linux-gnu",
    compilers: Deno.build.arch === "x86_64"
      ? ["cc", "x86_64-linux-gnu-gcc"]
      : ["x86_64-linux-gnu-gcc"],
    debianPackages: "gcc-x86-64-linux-gnu libc6-dev-amd64-cross",
    denoPackage: "@deno/linux-x64-glibc",
    elfMachine: 0x3e,
  },
  {
    arch: "aarch64",
    triple: "aarch64-unknown-linux-gnu",
    compilers: Deno.build.arch === "aarch64"
      ? ["cc", "aarch64-linux-gnu-gcc"]
      : ["aarch64-linux-gnu-gcc"],
    debianPackages: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
    denoPackage: "@deno/linux-arm64-glibc",
    elfMachine: 0xb7,
  },
];

const ROOT = new URL(".", import.meta.url).pathname;

/** Something the build cannot do, said in one line with what to do about it. */
class BuildError extends Error {
  override name = "BuildError";
}

async function commandExists(name: string): Promise<boolean> {
  const out = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
    .output();
  return out.success;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  const status = await new Deno.Command(cmd, { args, cwd: ROOT, env, stdin: "null" }).spawn()
    .status;
  if (!status.success) throw new BuildError(`${cmd} exited with code ${status.code}`);
}

/** Runs a command quietly and returns its trimmed stdout, or undefined when it fails. */
async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** Path (relative to the checkout) of a target's shim, as embedded and looked up at run time. */
export function shimPath(triple: string): string {
  return `.build/${triple}/libsssonector_tun.so`;
}

/** configs/ files the bundle carries in share/: units, logrotate and cron files, examples. */
export const SHARED_CONFIGS = [
  "sssonector.service",
  "sssonector@.service",
  "sssonector.logrotate",
  "sssonector-cron.logrotate",
  "sssonector.cron",
  "server.yaml",
  "client.yaml",
] as const;

/** The offline bundle of a target, relative to the checkout. */
export function bundlePath(arch: string): string {
  return `dist/sssonector-${arch}.tar.gz`;
}

/** Removes a file or folder an earlier build made; a missing one is fine. */
async function removeStale(path: string): Promise<void> {
  try {
    await Deno.remove(`${ROOT}${path}`, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** The ELF e_machine of a file, or undefined when it is not ELF. */
export async function elfMachine(path: string): Promise<number | undefined> {
  using file = await Deno.open(path);
  const header = new Uint8Array(20);
  let filled = 0;
  while (filled < header.length) {
    const n = await file.read(header.subarray(filled));
    if (n === null) return undefined;
    filled += n;
  }
  if (header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    return undefined;
  }
  return new DataView(header.buffer).getUint16(18, true);
}

/** The Deno version the launcher pins (its DENO_VERSION line): the one every artifact carries. */
export async function pinnedDenoVersion(): Promise<string> {
  const launcher = await Deno.readTextFile(`${ROOT}sssonector`);
  const match = /^DENO_VERSION="([0-9]+\.[0-9]+\.[0-9]+)"$/m.exec(launcher);
  if (!match) throw new BuildError('./sssonector has no DENO_VERSION="X.Y.Z" line');
  return match[1]!;
}

/** The commit being built, with "-dirty" when tracked files changed; "unknown" without git. */
async function gitCommit(): Promise<string> {
  const commit = await output("git", ["rev-parse", "--short=12", "HEAD"]);
  if (!commit) return "unknown";
  const changes = await output("git", ["status", "--porcelain", "--untracked-files=no"]);
  return changes ? `${commit}-dirty` : commit;
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

/**
 * The pinned Deno binary for a target: the running one when it is that version and architecture,
 * else the npm registry's package for the target, fetched once with `npm pack` into .build/.
 */
async function denoBinary(target: Target, version: string): Promise<string> {
  if (Deno.build.arch === target.arch && Deno.version.deno === version) return Deno.execPath();
  const dir = `.build/deno-${version}/${target.arch}`;
  const binary = `${ROOT}${dir}/deno`;
  if (await elfMachine(binary).catch(() => undefined) === target.elfMachine) return binary;
  const spec = `${target.denoPackage}@${version}`;
  if (!(await commandExists("npm"))) {
    throw new BuildError(
      `npm is needed to fetch ${spec} (Deno for ${target.arch}); install Node.js/npm`,
    );
  }
  await removeStale(dir);
  await Deno.mkdir(`${ROOT}${dir}`, { recursive: true });
  const packed = await new Deno.Command("npm", {
    args: ["pack", "--silent", "--pack-destination", dir, spec],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const tarball = new TextDecoder().decode(packed.stdout).trim().split("\n").at(-1) ?? "";
  if (!packed.success || tarball === "") {
    const why = new TextDecoder().decode(packed.stderr).trim().split("\n")
      .filter((line) => /error/i.test(line)).at(-1) ?? `exit code ${packed.code}`;
    throw new BuildError(
      `npm pack ${spec} failed (${why}); check access to the npm registry ` +
        `(npm config get registry)`,
    );
  }
  await run("tar", [
    "-xzf",
    `${dir}/${tarball}`,
    "-C",
    dir,
    "--strip-components=1",
    "package/deno",
  ]);
  await Deno.remove(`${ROOT}${dir}/${tarball}`);
  const machine = await elfMachine(binary);
  if (machine !== target.elfMachine) {
    throw new BuildError(`${spec} did not contain a ${target.arch} deno binary (${binary})`);
  }
  return binary;
}

/**
 * `deno bundle` of src/main.ts into .build/bundle/sssonector.js (the same file for every
 * architecture) with the commit baked in.
 */
async function bundleProgram(commit: string): Promise<string> {
  const path = ".build/bundle/sssonector.js";
  await removeStale(path);
  await Deno.mkdir(`${ROOT}.build/bundle`, { recursive: true });
  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--frozen",
    "--platform",
    "deno",
    "-o",
    path,
    "src/main.ts",
  ]);
  const text = await Deno.readTextFile(`${ROOT}${path}`);
  const count = text.split(JSON.stringify(COMMIT_PLACEHOLDER)).length - 1;
  if (count !== 1) {
    throw new BuildError(
      `the bundle holds ${count} copies of ${COMMIT_PLACEHOLDER} (expected 1 from src/base/version.ts)`,
    );
  }
  await Deno.writeTextFile(
    `${ROOT}${path}`,
    text.replace(JSON.stringify(COMMIT_PLACEHOLDER), JSON.stringify(commit)),
  );
  return path;
}

/** deno.json's `permissions.default` as `deno run` flags: the set `-P` gives elsewhere. */
export function permissionFlags(): string[] {
  const flags: string[] = [];
  for (const [name, value] of Object.entries(denoJson.permissions.default)) {
    const granted: unknown = value;
    if (granted === true) flags.push(`--allow-${name}`);
    else if (Array.isArray(granted)) flags.push(`--allow-${name}=${granted.join(",")}`);
    else if (granted !== false) {
      throw new BuildError(
        `deno.json permissions.default.${name} is neither true, false nor a list`,
      );
    }
  }
  return flags;
}

/** Single-quotes a word for sh. */
function shQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The bundle's entry script: runs lib/sssonector.js with lib/deno, offline. */
export function entryScript(target: Target, versionLine: string): string {
  const denoArgs = [
    "run",
    "--no-config",
    "--no-lock",
    "--cached-only",
    "--quiet",
    ...permissionFlags(),
    CODE_CACHE_FLAG,
    v8FlagsArgument(),
  ].map((arg) => (/^[A-Za-z0-9_=,.:\/-]+$/.test(arg) ? arg : shQuote(arg))).join(" ");
  return `#!/bin/sh
# ${versionLine}
# The offline bundle's entry point (made by build.ts): the same command line as the compiled
# binary, e.g. ./sssonector -config server.yaml, --generate-certs, --check-config, --version.
# It runs lib/sssonector.js with the Deno in lib/, Deno's cache in lib/deno-dir (nothing is
# fetched: --cached-only), the permission set of deno.json, the program's V8 flags and the TUN
# shim lib/libsssonector_tun.so. Keep the folder together; a symlink to this file works too.
set -eu
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
  /*) self=$link ;;
  *) self=\${self%/*}/$link ;;
  esac
done
case $self in
*/*) here=\${self%/*} ;;
*) here=. ;;
esac
here=$(cd "$here" && pwd)
lib=$here/lib
if command -v uname >/dev/null 2>&1; then
  machine=$(uname -m)
  if [ "$machine" != ${target.arch} ]; then
    echo "sssonector: this bundle is for ${target.arch} but this machine is $machine; use sssonector-$machine.tar.gz" >&2
    exit 1
  fi
fi
if [ ! -x "$lib/bin/sssonector" ] || [ ! -f "$lib/sssonector.js" ]; then
  echo "sssonector: $lib/bin/sssonector or $lib/sssonector.js is missing; unpack the whole bundle again (tar -xzf sssonector-${target.arch}.tar.gz)" >&2
  exit 1
fi
DENO_DIR=$lib/deno-dir
DENO_NO_UPDATE_CHECK=1
SSSONECTOR_TUN_LIB=$lib/libsssonector_tun.so
export DENO_DIR DENO_NO_UPDATE_CHECK SSSONECTOR_TUN_LIB
# lib/bin/sssonector is a symlink to lib/deno: the kernel names the process after the file it
# executes, so ps, top, pidof and pkill see "sssonector", not "deno".
exec "$lib/bin/sssonector" ${denoArgs} "$lib/sssonector.js" "$@"
`;
}

/**
 * Lays out the bundle folder in .build/bundle/<arch>/sssonector and packs it into
 * dist/sssonector-<arch>.tar.gz; returns that path.
 */
async function packBundle(
  target: Target,
  parts: { deno: string; program: string; commit: string; denoVersion: string },
): Promise<string> {
  const stage = `.build/bundle/${target.arch}`;
  const folder = `${ROOT}${stage}/sssonector`;
  await removeStale(stage);
  await Deno.mkdir(`${folder}/lib/deno-dir`, { recursive: true });
  await Deno.copyFile(parts.deno, `${folder}/lib/deno`);
  await Deno.chmod(`${folder}/lib/deno`, 0o755);
  await Deno.mkdir(`${folder}/lib/bin`);
  await Deno.symlink("../deno", `${folder}/lib/bin/sssonector`);
  // The files to install it with (docs/guide/deployment.md), so the tarball needs no checkout.
  await Deno.mkdir(`${folder}/share`);
  for (const name of SHARED_CONFIGS) {
    await Deno.copyFile(`${ROOT}configs/${name}`, `${folder}/share/${name}`);
    await Deno.chmod(`${folder}/share/${name}`, 0o644);
  }
  await Deno.copyFile(`${ROOT}${parts.program}`, `${folder}/lib/sssonector.js`);
  await Deno.copyFile(`${ROOT}${shimPath(target.triple)}`, `${folder}/lib/libsssonector_tun.so`);
  await Deno.chmod(`${folder}/lib/libsssonector_tun.so`, 0o644);
  const versionLine = `sssonector ${denoJson.version} (commit ${parts.commit}, ` +
    `deno ${parts.denoVersion}, ${target.triple})`;
  await Deno.writeTextFile(`${folder}/BUILD`, `${versionLine}\n`);
  await Deno.writeTextFile(`${folder}/sssonector`, entryScript(target, versionLine), {
    mode: 0o755,
  });
  await Deno.chmod(`${folder}/sssonector`, 0o755);
  const tarball = bundlePath(target.arch);
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  await run("tar", [
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "--sort=name",
    "-czf",
    tarball,
    "-C",
    stage,
    "sssonector",
  ]);
  if (target.arch === Deno.build.arch) {
    // The folder as it unpacks, run with nothing of the checkout around it.
    const out = await new Deno.Command(`${folder}/sssonector`, {
      args: ["--version"],
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout).trim();
    if (!out.success || said !== versionLine) {
      throw new BuildError(
        `the ${target.arch} bundle's --version said "${said}" ` +
          `${new TextDecoder().decode(out.stderr).trim()} (expected "${versionLine}")`,
      );
    }
    console.log(said);
  }
  return tarball;
}

async function compileExecutable(target: Target): Promise<string> {
  const output = `dist/sssonector-${target.arch}`;
  await Deno.mkdir(`${ROOT}dist`, { recursive: true });
  await run(Deno.execPath(), [
    "compile",
    "--frozen",
    "-P",
    // The runtime's V8 flags (gc() for src/runtime/garbage.ts, the lean GC) and no code cache:
    // see v8_flags.ts.
    CODE_CACHE_FLAG,
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

/** The target whose architecture DENORT_BIN is built for, or undefined when it is not set. */
async function denortTarget(): Promise<Target | undefined> {
  const denort = Deno.env.get("DENORT_BIN");
  if (!denort) return undefined;
  const machine = await elfMachine(denort).catch((error) => {
    throw new BuildError(`DENORT_BIN ${denort}: ${errorMessage(error)}`);
  });
  const target = TARGETS.find((t) => t.elfMachine === machine);
  if (!target) throw new BuildError(`DENORT_BIN ${denort} is not an x86_64 or aarch64 binary`);
  return target;
}

if (import.meta.main) {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        target: { type: "string" },
        "native-only": { type: "boolean", default: false },
        "no-deb": { type: "boolean", default: false },
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
    const denoVersion = await pinnedDenoVersion();
    const compileFor = values["native-only"] ? undefined : await denortTarget();
    let program: { path: string; commit: string } | undefined;
    for (const target of selected) {
      if (!values["native-only"]) {
        await removeStale(bundlePath(target.arch));
        await removeStale(`dist/sssonector-${target.arch}`);
        await removeStale(debPath(denoJson.version, target.arch));
      }
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
      if (!program) {
        const commit = await gitCommit();
        program = { path: await bundleProgram(commit), commit };
      }
      const deno = await denoBinary(target, denoVersion);
      built.push(
        await packBundle(target, {
          deno,
          program: program.path,
          commit: program.commit,
          denoVersion,
        }),
      );
      if (!values["no-deb"]) {
        if (!(await commandExists("dpkg-deb"))) {
          console.log(`skipping the ${target.arch} .deb: no dpkg-deb (apt-get install dpkg)`);
        } else {
          built.push(
            await buildDeb({
              root: ROOT,
              bundleFolder: `${ROOT}.build/bundle/${target.arch}/sssonector`,
              stage: `${ROOT}.build/deb/${target.arch}`,
              version: denoJson.version,
              arch: target.arch,
            }),
          );
        }
      }
      if (compileFor === target) {
        const executable = await compileExecutable(target);
        if (target.arch === Deno.build.arch) await run(`${ROOT}${executable}`, ["--version"]);
        built.push(executable);
      }
    }
  } catch (error) {
    console.error(`build.ts: ${errorMessage(error)}`);
    if (!(error instanceof BuildError) && Deno.env.get("DENORT_BIN")) {
      console.error(
        `build.ts: \`deno compile\` needs DENORT_BIN to be a denort binary of Deno ${Deno.version.deno}`,
      );
    }
    Deno.exit(1);
  }
  if (built.length === 0) {
    console.error("build.ts: nothing was built");
    Deno.exit(1);
  }
  for (const path of built) {
    const size = (await Deno.stat(`${ROOT}${path}`)).size;
    console.log(`built ${path} (${(size / 2 ** 20).toFixed(1)} MiB)`);
  }
}
