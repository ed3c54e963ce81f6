import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { usageText } from "../../src/cli/usage.ts";
import { modeProblem, withRunOptions } from "../../src/cli/run_options.ts";
import { thrown } from "../lib/thrown.ts";

const usageError = (argv: string[]) =>
  thrown(UsageError, () => parseCommandLine(argv), JSON.stringify(argv)).message;

Deno.test("the original's --mode and -debug are accepted beside -config, in either spelling", () => {
  assert.deepEqual(parseCommandLine(["-config", "s.yaml", "--mode", "server"]), {
    kind: "run",
    configPath: "s.yaml",
    mode: "server",
  });
  assert.deepEqual(parseCommandLine(["-mode=client", "-debug", "-config", "c.yaml"]), {
    kind: "run",
    configPath: "c.yaml",
    mode: "client",
    debug: true,
  });
  assert.deepEqual(parseCommandLine(["-c", "c.yaml", "--check-config", "--mode", "client"]), {
    kind: "check-config",
    configPath: "c.yaml",
    mode: "client",
  });
});

Deno.test("--mode with a value that is no mode is refused with the modes", () => {
  assert.equal(
    usageError(["-config", "s.yaml", "--mode", "sever"]),
    '--mode "sever" is not a mode (did you mean "server"?); expected server or client',
  );
});

Deno.test("-background is refused with what to use instead", () => {
  assert.match(
    usageError(["-config", "s.yaml", "-background"]),
    /^-background is not supported: sssonector stays in the foreground; run it with the systemd unit .*cron.*pid_file/,
  );
});

Deno.test("a --mode that disagrees with the file's mode: is one line naming both", () => {
  assert.equal(modeProblem({ mode: "client" }, { mode: "client" }), undefined);
  assert.equal(modeProblem({}, { mode: "server" }), undefined);
  assert.equal(
    modeProblem({ mode: "client" }, { mode: "server", sourcePath: "/etc/s.yaml" }),
    "/etc/s.yaml: --mode client was given but the file says mode: server; the file decides " +
      "the mode: drop --mode or name a client's file",
  );
});

Deno.test("-debug lowers the log level to debug and leaves the rest", () => {
  const logging = { level: "warning", format: "text", file: "/var/log/x.log" } as const;
  assert.deepEqual(withRunOptions(logging, { debug: true }), { ...logging, level: "debug" });
  assert.equal(withRunOptions(logging, {}), logging);
});

Deno.test("status reads -c FILE, or the unit's file by default, and --json", () => {
  assert.deepEqual(parseCommandLine(["status"]), {
    kind: "status",
    configPath: "/etc/sssonector/sssonector.yaml",
    json: false,
  });
  assert.deepEqual(parseCommandLine(["status", "-c", "/tmp/x.yaml", "--json"]), {
    kind: "status",
    configPath: "/tmp/x.yaml",
    json: true,
  });
  assert.deepEqual(parseCommandLine(["--config=/tmp/x.yaml", "status"]), {
    kind: "status",
    configPath: "/tmp/x.yaml",
    json: false,
  });
  assert.equal(
    usageError(["status", "--mode", "server"]),
    "--mode is only used with -config FILE or --check-config",
  );
});

Deno.test("the help text shows status, -c and the original's flags, each with a description", () => {
  const text = usageText();
  assert.ok(text.includes("sssonector status [-c FILE] [--json]"));
  for (const flag of ["-c, --config FILE", "--mode MODE", "--debug", "--background", "--json"]) {
    const line = text.split("\n").find((l) => l.startsWith(`  ${flag} `));
    assert.ok(line !== undefined, `no line for ${flag}`);
    assert.match(line, /\S\s{2,}\S/);
  }
});
