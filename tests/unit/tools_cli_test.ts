import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/errors.ts";
import { parseToolCommandLine, toolUsageText } from "../../tools/cli.ts";
import { thrown } from "../lib/thrown.ts";

const usageError = (argv: string[]) =>
  thrown(UsageError, () => parseToolCommandLine(argv), JSON.stringify(argv));

Deno.test("parseToolCommandLine() reads demo, bench and bench --quick", () => {
  assert.deepEqual(parseToolCommandLine(["demo"]), { kind: "demo" });
  assert.deepEqual(parseToolCommandLine(["bench"]), { kind: "bench", quick: false });
  assert.deepEqual(parseToolCommandLine(["bench", "--quick"]), { kind: "bench", quick: true });
  assert.deepEqual(parseToolCommandLine(["-quick", "bench"]), { kind: "bench", quick: true });
  assert.deepEqual(parseToolCommandLine(["bench", "--quick", "--rounds", "2"]), {
    kind: "bench",
    quick: true,
    rounds: 2,
  });
  assert.deepEqual(parseToolCommandLine(["bench", "--rounds=5"]), {
    kind: "bench",
    quick: false,
    rounds: 5,
  });
});

Deno.test("parseToolCommandLine() shows help without arguments or with -h/--help/-help", () => {
  for (const argv of [[], ["-h"], ["--help"], ["-help"], ["demo", "-h"], ["bench", "--help"]]) {
    assert.deepEqual(parseToolCommandLine(argv), { kind: "help" }, argv.join(" "));
  }
});

Deno.test("parseToolCommandLine() refuses unknown commands and extra arguments", () => {
  assert.equal(usageError(["demp"]).message, 'unknown command "demp" (did you mean "demo"?)');
  assert.equal(usageError(["serve"]).message, 'unknown command "serve"');
  assert.equal(usageError(["demo", "now"]).message, 'unexpected argument "now"');
  assert.equal(usageError(["demo", "bench"]).message, 'unexpected argument "bench"');
  assert.equal(
    usageError(["quick"]).message,
    'unexpected argument "quick" (did you mean "--quick"?)',
  );
});

Deno.test("parseToolCommandLine() refuses flags that belong to another tool, or to the program", () => {
  assert.equal(usageError(["demo", "--quick"]).message, "--quick is only used with bench");
  assert.equal(usageError(["--rounds", "2"]).message, "--rounds is only used with bench");
  assert.equal(usageError(["demo", "-config", "a.yaml"]).message, 'unknown flag "-config"');
  assert.equal(
    usageError(["bench", "--quik"]).message,
    'unknown flag "--quik" (did you mean "--quick"?)',
  );
});

Deno.test("parseToolCommandLine() refuses a rounds count that is not 1 to 20, naming the flag", () => {
  for (const bad of ["0", "21", "two", "1.5", "-1"]) {
    assert.throws(
      () => parseToolCommandLine(["bench", `--rounds=${bad}`]),
      (error: Error) =>
        error instanceof UsageError &&
        error.message === `--rounds "${bad}" is not allowed; expected a whole number from 1 to 20`,
      bad,
    );
  }
});

Deno.test("toolUsageText() lists both tools and describes every flag on one line", () => {
  const text = toolUsageText();
  for (const synopsis of ["sssonector demo", "sssonector bench [--quick]"]) {
    assert.ok(text.includes(synopsis), `missing ${synopsis}`);
  }
  for (const flag of ["quick", "rounds", "help"]) {
    const line = text.split("\n").find((l) => new RegExp(`^  (-\\w, )?--${flag}\\b`).test(l));
    assert.ok(line !== undefined, `no line for --${flag}`);
    assert.match(line, new RegExp(`--${flag}( [A-Z]+)?\\s{2,}\\S`), `no description for --${flag}`);
  }
});

Deno.test("parseToolCommandLine() reads bench --sessions N, alone or with --quick", () => {
  assert.deepEqual(parseToolCommandLine(["bench", "--sessions", "10000"]), {
    kind: "bench",
    quick: false,
    sessions: 10000,
  });
  assert.deepEqual(parseToolCommandLine(["bench", "--quick", "--sessions=500"]), {
    kind: "bench",
    quick: true,
    sessions: 500,
  });
  assert.match(usageError(["bench", "--sessions", "0"]).message, /from 1 to 50000/);
  assert.match(usageError(["bench", "--sessions", "many"]).message, /not allowed/);
  assert.match(
    usageError(["bench", "--sessions", "5", "--fleet"]).message,
    /--sessions is used alone/,
  );
  assert.match(toolUsageText(), /bench --sessions N \[--quick\]/);
});

Deno.test("parseToolCommandLine() reads bench --footprint, alone", () => {
  assert.deepEqual(parseToolCommandLine(["bench", "--footprint"]), {
    kind: "bench",
    quick: false,
    footprint: true,
  });
  assert.match(
    usageError(["bench", "--footprint", "--quick"]).message,
    /--footprint is used alone/,
  );
  assert.match(toolUsageText(), /bench --footprint/);
});
