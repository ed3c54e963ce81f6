/** The checkout launcher sends demo and bench to the development tools, everything else to the program. */
import assert from "node:assert/strict";

const LAUNCHER = new URL("../../sssonector", import.meta.url).pathname;

async function launch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(LAUNCHER, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

Deno.test("./sssonector demo|bench --help show the tools' help; ./sssonector --help shows the program's, without them", async () => {
  for (const tool of ["demo", "bench"]) {
    const out = await launch([tool, "--help"]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^SSSonector's development tools/);
    assert.match(out.stdout, /^ {2}\.\/sssonector bench \[--quick\] \[--rounds N\]$/m);
  }
  const program = await launch(["--help"]);
  assert.equal(program.code, 0, program.stderr);
  assert.match(program.stdout, /^ {2}sssonector -config FILE$/m);
  assert.doesNotMatch(program.stdout, /\b(demo|bench)\b/);
});

Deno.test("./sssonector bench with a bad flag is a usage error of the tools: one line and a hint, exit 2", async () => {
  const out = await launch(["bench", "--rounds", "0"]);
  assert.equal(out.code, 2);
  assert.deepEqual(out.stderr.trim().split("\n"), [
    'sssonector: --rounds "0" is not allowed; expected a whole number from 1 to 20',
    "Run './sssonector demo --help' for usage.",
  ]);
});

Deno.test("./sssonector reports npm's failure to install Deno in one line, not a later missing file", async () => {
  // A copy of the launcher has an empty .tools/, and the PATH's npm fails as it does offline.
  const dir = await Deno.makeTempDir({ prefix: "sssonector-launcher-test-" });
  try {
    await Deno.copyFile(LAUNCHER, `${dir}/sssonector`);
    await Deno.chmod(`${dir}/sssonector`, 0o755);
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(
      `${dir}/bin/npm`,
      '#!/bin/sh\n[ "$1" = config ] && { echo https://registry.npmjs.org/; exit 0; }\n' +
        'echo "npm error code ENOTFOUND" >&2\n' +
        'echo "npm error getaddrinfo ENOTFOUND registry.npmjs.org" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    const out = await new Deno.Command(`${dir}/sssonector`, {
      args: ["--version"],
      clearEnv: true,
      env: { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: dir },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 2, stderr);
    assert.match(lines[0]!, /^sssonector: installing Deno /);
    assert.match(
      lines[1]!,
      /^sssonector: npm could not install @deno\/linux-\S+-glibc@\S+ into \.tools\/ \(getaddrinfo ENOTFOUND registry\.npmjs\.org\); check access to the npm registry \(https:\/\/registry\.npmjs\.org\/\) or put deno \S+ on PATH$/,
    );
    assert.doesNotMatch(stderr, /No such file or directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("./sssonector --version names version, commit, Deno and target; no arguments is usage on stderr, exit 2", async () => {
  const commit = await new Deno.Command("git", {
    args: ["rev-parse", "--short=12", "HEAD"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
  }).output();
  const head = new TextDecoder().decode(commit.stdout).trim();
  const version = await launch(["--version"]);
  assert.equal(version.code, 0, version.stderr);
  assert.match(
    version.stdout,
    new RegExp(
      `^sssonector \\d+\\.\\d+\\.\\d+ \\(commit ${head}(-dirty)?, deno ${Deno.version.deno}, ` +
        `${Deno.build.target}\\)\\n$`,
    ),
  );
  const bare = await launch([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, "");
  assert.match(bare.stderr, /^SSSonector joins/);
  assert.match(bare.stderr, /^ {2}sssonector -config FILE$/m);
});
