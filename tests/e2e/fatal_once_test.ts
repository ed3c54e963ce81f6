/**
 * A fatal start error is said once: without logging.file the log goes to standard output, on
 * the same terminal as standard error, so the error line goes to standard error only (it was
 * printed twice: once as a log line, once on stderr). With a log file it is in the file and on
 * stderr. Real processes through the launcher; no root needed (the monitoring port fails first).
 */

import assert from "node:assert/strict";
import { runCli, TempCertificates } from "../lib/e2e_lab.ts";

async function startWithBusyMonitor(logFile: string | undefined) {
  await using temp = await TempCertificates.create();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (busy.addr as Deno.NetAddr).port;
  const config = `${temp.dir}/server.yaml`;
  await Deno.writeTextFile(
    config,
    `mode: server
listen: 127.0.0.1:4433
address: 10.0.0.1/24
logging:
  level: info
${logFile === undefined ? "" : `  file: ${logFile}\n`}monitoring:
  enabled: true
  port: ${port}
security:
  tls:
    cert_file: ${temp.certDir}/server.crt
    key_file: ${temp.certDir}/server.key
    ca_file: ${temp.certDir}/ca.crt
`,
  );
  const result = await runCli(["-config", config]);
  const log = logFile === undefined ? "" : await Deno.readTextFile(logFile);
  return { ...result, port, config, log };
}

Deno.test("a fatal start error without logging.file is printed once, on stderr", async () => {
  const result = await startWithBusyMonitor(undefined);
  assert.equal(result.code, 1);
  const message = `${result.config}: monitoring (address 127.0.0.1, port ${result.port}): ` +
    `cannot listen on 127.0.0.1:${result.port}: the port is in use by another program`;
  const everything = result.stdout + result.stderr;
  assert.equal(everything.split(message).length - 1, 1, everything);
  assert.equal(result.stderr.split("\n").filter(Boolean).length, 1, result.stderr);
  assert.match(result.stderr, /^sssonector: .*choose another monitoring\.port/);
});

Deno.test("a fatal start error with logging.file goes into the file and once on stderr", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ssc-fatal-" });
  try {
    const result = await startWithBusyMonitor(`${dir}/server.log`);
    assert.equal(result.code, 1);
    assert.match(result.log, /ERROR.*cannot start: .*the port is in use by another program/);
    assert.equal(result.stderr.split("\n").filter(Boolean).length, 1, result.stderr);
    assert.doesNotMatch(result.stdout, /port is in use/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
