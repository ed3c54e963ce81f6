import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import { usageText } from "../../src/cli/usage.ts";

Deno.test("usageText() lists every command, and neither demo nor bench (development tools)", () => {
  const text = usageText();
  for (
    const synopsis of [
      "sssonector -config FILE",
      "sssonector --check-config -config FILE",
      "sssonector --generate-certs --cert-dir DIR --server-ip IP",
      "sssonector --version",
      "sssonector --help",
    ]
  ) {
    assert.ok(text.includes(synopsis), `missing ${synopsis}`);
  }
  assert.doesNotMatch(text, /\b(demo|bench|quick|rounds)\b/);
});

Deno.test("usageText() describes every flag the parser accepts, each on one line", () => {
  const text = usageText();
  const flags = [
    "config",
    "check-config",
    "generate-certs",
    "cert-dir",
    "server-ip",
    "server-name",
    "client-name",
    "days",
    "key-type",
    "force",
    "help",
    "version",
  ];
  for (const flag of flags) {
    const line = text.split("\n").find((l) => new RegExp(`^  (-\\w, )?--${flag}\\b`).test(l));
    assert.ok(line !== undefined, `no line for --${flag}`);
    assert.match(line, new RegExp(`--${flag}( [A-Z]+)?\\s{2,}\\S`), `no description for --${flag}`);
  }
  // Every listed flag is one the parser knows (an unknown one would throw).
  assert.deepEqual(parseCommandLine(["--help"]), { kind: "help" });
});

Deno.test("usageText() states the exit codes", () => {
  const text = usageText();
  assert.match(text, /^\s+0\s+success$/m);
  assert.match(text, /^\s+1\s+runtime failure$/m);
  assert.match(text, /^\s+2\s+usage or configuration error$/m);
});
