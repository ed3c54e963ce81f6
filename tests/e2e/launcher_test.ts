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
