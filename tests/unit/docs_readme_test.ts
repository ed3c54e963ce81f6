/**
 * The README's quick start runs as written: its certificate and check commands are run verbatim
 * through the launcher in a temporary folder, on the two configuration files its comment lays out
 * side by side. (Starting the tunnel needs root and namespaces; the demo and tests/e2e/ do that.)
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const ROOT = new URL("../../", import.meta.url);

/** The bash block under the README's "Quick start" heading. */
async function quickStart(): Promise<string[]> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("## Quick start"));
  const block = /```bash\n([\s\S]*?)```/.exec(section);
  assert.ok(block !== null, "the README has a Quick start section with a bash block");
  return block[1]!.trimEnd().split("\n");
}

/** The two files of step 2, written as two columns of comment lines. */
export function configColumns(lines: readonly string[]): { server: string; client: string } {
  const step2 = lines.findIndex((line) => line.startsWith("# 2."));
  const step3 = lines.findIndex((line) => line.startsWith("# 3."));
  const rows = lines.slice(step2 + 1, step3);
  const first = rows[0] ?? "";
  const split = first.indexOf("mode: client");
  assert.ok(split > 0, "step 2 shows mode: client beside mode: server");
  const start = first.indexOf("mode: server");
  const column = (from: number, to?: number) =>
    rows.map((row) => row.slice(from, to).trimEnd()).join("\n") + "\n";
  return { server: column(start, split), client: column(split) };
}

Deno.test("the README's quick start: its commands run verbatim and its two files check", async () => {
  const lines = await quickStart();
  const { server, client } = configColumns(lines);
  assert.match(server, /^mode: server\nlisten: 0\.0\.0\.0:443\n/);
  assert.match(client, /^mode: client\nserver: 203\.0\.113\.10:443\n/);
  const commands = lines.filter((line) => line.startsWith("./sssonector "));
  assert.equal(commands.length, 2, "generate-certs and check-config");

  const dir = await Deno.makeTempDir({ prefix: "ssd-readme-" });
  try {
    await Deno.symlink(new URL("sssonector", ROOT).pathname, join(dir, "sssonector"));
    await Deno.writeTextFile(join(dir, "server.yaml"), server);
    await Deno.writeTextFile(join(dir, "client.yaml"), client);
    for (const command of [...commands, "./sssonector --check-config -config client.yaml"]) {
      const out = await new Deno.Command("bash", {
        args: ["-c", command],
        cwd: dir,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${command}:\n${text}`);
    }
    for (const file of ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt"]) {
      await Deno.stat(join(dir, "certs", file));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
