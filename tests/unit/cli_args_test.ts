import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/errors.ts";
import { thrown } from "../lib/thrown.ts";

const usageError = (argv: string[]) =>
  thrown(UsageError, () => parseCommandLine(argv), JSON.stringify(argv));

const CERTS = ["--generate-certs", "--cert-dir", "certs"];

Deno.test("parseCommandLine() runs with the config file in every flag spelling", () => {
  for (
    const argv of [["-config", "s.yaml"], ["--config", "s.yaml"], ["--config=s.yaml"], [
      "-config=s.yaml",
    ]]
  ) {
    assert.deepEqual(parseCommandLine(argv), { kind: "run", configPath: "s.yaml" }, argv.join(" "));
  }
});

Deno.test("parseCommandLine() checks the config with --check-config in any order and spelling", () => {
  for (
    const argv of [
      ["--check-config", "-config", "c.yaml"],
      ["-config", "c.yaml", "--check-config"],
      ["-check-config", "--config=c.yaml"],
    ]
  ) {
    assert.deepEqual(parseCommandLine(argv), { kind: "check-config", configPath: "c.yaml" });
  }
});

Deno.test("parseCommandLine() reads --generate-certs with its defaults", () => {
  assert.deepEqual(parseCommandLine([...CERTS, "--server-ip", "203.0.113.7"]), {
    kind: "generate-certs",
    options: {
      certDir: "certs",
      serverIp: "203.0.113.7",
      serverNames: [],
      clientName: "client",
      days: 365,
      keyType: "ecdsa-p256",
      force: false,
    },
  });
});

Deno.test("parseCommandLine() reads every --generate-certs flag, single-dash too", () => {
  const command = parseCommandLine([
    "-generate-certs",
    "-cert-dir=/etc/sss/certs",
    "-server-ip",
    "2001:db8::1",
    "--server-name",
    "vpn.example.com",
    "-server-name=vpn2.example.com",
    "--client-name",
    "branch-office",
    "--days",
    "30",
    "--key-type",
    "rsa-4096",
    "-force",
  ]);
  assert.deepEqual(command, {
    kind: "generate-certs",
    options: {
      certDir: "/etc/sss/certs",
      serverIp: "2001:db8::1",
      serverNames: ["vpn.example.com", "vpn2.example.com"],
      clientName: "branch-office",
      days: 30,
      keyType: "rsa-4096",
      force: true,
    },
  });
});

Deno.test("parseCommandLine() leaves serverIp out when adding a client to an existing CA", () => {
  const command = parseCommandLine([...CERTS, "--client-name", "laptop"]);
  assert.ok(command.kind === "generate-certs");
  assert.equal(command.options.serverIp, undefined);
  assert.ok(!("serverIp" in command.options));
});

Deno.test("parseCommandLine() has no demo or bench: it names them development tools of the checkout", () => {
  for (const tool of ["demo", "bench"]) {
    const error = usageError([tool]);
    assert.equal(
      error.message,
      `unknown command "${tool}": ${tool} is a development tool, not part of the program; ` +
        `run it from a source checkout: ./sssonector ${tool}`,
    );
    assert.ok(!error.message.includes("\n"));
  }
  assert.equal(usageError(["--quick"]).message, 'unknown flag "--quick"');
  assert.equal(usageError(["--rounds", "2"]).message, 'unknown flag "--rounds"');
});

Deno.test("parseCommandLine() shows help with -h/--help/-help", () => {
  for (const argv of [["-h"], ["--help"], ["-help"], ["-config", "x.yaml", "--help"]]) {
    assert.deepEqual(parseCommandLine(argv), { kind: "help" }, argv.join(" "));
  }
});

Deno.test("parseCommandLine() without arguments asks for the usage as an error (exit 2)", () => {
  assert.deepEqual(parseCommandLine([]), { kind: "usage" });
});

Deno.test("parseCommandLine() prints the version with -v/--version/-version", () => {
  for (const argv of [["-v"], ["--version"], ["-version"]]) {
    assert.deepEqual(parseCommandLine(argv), { kind: "version" });
  }
});

Deno.test("parseCommandLine() keeps a value that starts with a dash as the value", () => {
  assert.deepEqual(parseCommandLine(["-config", "-odd-name.yaml"]), {
    kind: "run",
    configPath: "-odd-name.yaml",
  });
});

Deno.test("parseCommandLine() refuses unknown flags with a did-you-mean in the user's spelling", () => {
  assert.equal(
    usageError(["--confg", "s.yaml"]).message,
    'unknown flag "--confg" (did you mean "--config"?)',
  );
  assert.equal(
    usageError(["-confg", "s.yaml"]).message,
    'unknown flag "-confg" (did you mean "-config"?)',
  );
  assert.equal(
    usageError([...CERTS, "--server-pi", "1.2.3.4"]).message,
    'unknown flag "--server-pi" (did you mean "--server-ip"?)',
  );
  assert.equal(usageError(["--frobnicate"]).message, 'unknown flag "--frobnicate"');
  assert.equal(usageError(["-x"]).message, 'unknown flag "-x"');
});

Deno.test("parseCommandLine() refuses unknown commands and extra arguments", () => {
  assert.equal(usageError(["serve"]).message, 'unknown command "serve"');
  assert.equal(usageError(["-config", "a.yaml", "b.yaml"]).message, 'unexpected argument "b.yaml"');
  assert.equal(
    usageError(["generate-certs"]).message,
    'unexpected argument "generate-certs" (did you mean "--generate-certs"?)',
  );
});

Deno.test("parseCommandLine() refuses a flag without its value", () => {
  assert.equal(usageError(["-config"]).message, "-config needs a value: -config FILE");
  assert.equal(
    usageError(["--config", "--check-config"]).message,
    "--config needs a value: --config FILE",
  );
  assert.equal(usageError(["--config="]).message, "--config needs a value: --config FILE");
  assert.equal(
    usageError(["--generate-certs", "--cert-dir"]).message,
    "--cert-dir needs a value: --cert-dir DIR",
  );
});

Deno.test("parseCommandLine() refuses a value given to a switch", () => {
  assert.equal(
    usageError([...CERTS, "--force=yes"]).message,
    '--force takes no value, got "--force=yes"',
  );
});

Deno.test("parseCommandLine() refuses a flag given twice unless it is repeatable", () => {
  assert.equal(
    usageError(["-config", "a", "-config", "b"]).message,
    "-config is given more than once",
  );
});

Deno.test("parseCommandLine() refuses flags that belong to another command", () => {
  assert.equal(usageError(["--force"]).message, "--force is only used with --generate-certs");
  assert.equal(
    usageError([...CERTS, "-config", "a.yaml"]).message,
    "-config is only used with -config FILE or --check-config or status",
  );
});

Deno.test("parseCommandLine() refuses two commands at once", () => {
  assert.equal(
    usageError(["--check-config", "--generate-certs", "--cert-dir", "d"]).message,
    "choose one command: --check-config and --generate-certs were both given",
  );
});

Deno.test("parseCommandLine() requires the config file for --check-config and the folder for --generate-certs", () => {
  assert.equal(usageError(["--check-config"]).message, "--check-config needs -config FILE");
  assert.equal(
    usageError(["--generate-certs", "--server-ip", "10.0.0.1"]).message,
    "--generate-certs needs --cert-dir DIR",
  );
});

Deno.test("parseCommandLine() validates the --generate-certs values", () => {
  const cases: [string[], string][] = [
    [["--server-ip", "10.0.0"], '--server-ip "10.0.0" is not an IPv4 or IPv6 address'],
    [
      ["--server-ip", "vpn.example.com"],
      '--server-ip "vpn.example.com" is not an IPv4 or IPv6 address',
    ],
    [
      ["--server-name", "bad_name"],
      '--server-name "bad_name" is not a DNS name; expected e.g. vpn.example.com',
    ],
    [["--days", "0"], '--days "0" is not allowed; expected a whole number of days, 1 or more'],
    [["--days", "-5"], '--days "-5" is not allowed; expected a whole number of days, 1 or more'],
    [["--days", "1.5"], '--days "1.5" is not allowed; expected a whole number of days, 1 or more'],
    [["--days", "ten"], '--days "ten" is not allowed; expected a whole number of days, 1 or more'],
    [
      ["--key-type", "rsa2048"],
      '--key-type "rsa2048" is not a key type (did you mean "rsa-2048"?); expected ecdsa-p256, rsa-2048 or rsa-4096',
    ],
    [
      ["--key-type", "ed25519"],
      '--key-type "ed25519" is not a key type; expected ecdsa-p256, rsa-2048 or rsa-4096',
    ],
    [
      ["--client-name", "server"],
      '--client-name "server" would overwrite the server files; choose another name',
    ],
    [
      ["--client-name", "CA"],
      '--client-name "CA" would overwrite the ca files; choose another name',
    ],
    [
      ["--client-name", "../evil"],
      '--client-name "../evil" is not allowed; expected 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
    ],
  ];
  for (const [extra, message] of cases) {
    const error = usageError([...CERTS, ...extra]);
    assert.equal(error.message, message);
    assert.equal(error.exitCode, 2);
  }
});

Deno.test("UsageError carries exit code 2 and a one-line message", () => {
  const error = usageError(["--nope"]);
  assert.equal(error.exitCode, 2);
  assert.equal(error.name, "UsageError");
  assert.ok(!error.message.includes("\n"));
});
