/**
 * The shipped systemd units, read as text: the template is the plain unit with the instance in
 * its name and file, and the settings issue 18 found missing stay. (They run for real under a
 * booted systemd in tests/e2e/systemd_unit_test.ts.)
 */
import assert from "node:assert/strict";

const CONFIGS = new URL("../../configs/", import.meta.url).pathname;

/** The [Unit]… part of a unit file, without its leading comment block. */
function body(text: string): string {
  return text.slice(text.indexOf("[Unit]"));
}

Deno.test("sssonector@.service is sssonector.service but for the instance's name and file", async () => {
  const plain = body(await Deno.readTextFile(`${CONFIGS}sssonector.service`));
  const template = body(await Deno.readTextFile(`${CONFIGS}sssonector@.service`));
  assert.equal(
    template
      .replace("Description=SSSonector TLS tunnel %i", "Description=SSSonector TLS tunnel")
      .replace("/etc/sssonector/%i.yaml", "/etc/sssonector/sssonector.yaml"),
    plain,
  );
});

Deno.test("the units reload outside the sandbox, never loop on exit 2, run with the run group", async () => {
  for (const name of ["sssonector.service", "sssonector@.service"]) {
    const text = await Deno.readTextFile(`${CONFIGS}${name}`);
    assert.match(text, /^ExecReload=\+\/bin\/kill -HUP \$MAINPID$/m, name);
    assert.match(text, /^RestartPreventExitStatus=2$/m, name);
    assert.match(text, /^Group=sssonector$/m, name);
    assert.match(text, /^Type=notify$/m, name);
    assert.doesNotMatch(text, /\|\| true/, name);
  }
});
