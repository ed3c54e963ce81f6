/**
 * A test cut short by `timeout` (SIGTERM) or Ctrl-C (SIGINT) never reaches its `await using`
 * disposal; the lab's signal clean-up (tools/lab/signal_cleanup.ts) must remove what the lab made
 * anyway. A real child process builds a real lab (namespaces, veths, a process inside, a temp
 * folder), gets the signal, and must leave nothing behind and exit as the signal would have.
 */
import assert from "node:assert/strict";
import { run } from "../../tools/lab/netns_lab.ts";
import { pollUntil } from "../lib/poll.ts";

const CHILD = new URL("../lib/lab_signal_child.ts", import.meta.url).pathname;

interface Made {
  namespaces: string[];
  dir: string;
  sleepPid: number;
}

async function namespacesOf(pid: number): Promise<string[]> {
  const ours = new RegExp(`^sss-e2e[a-z]*${pid % 100000}\\d+-`);
  return (await run("ip", ["netns", "list"])).stdout.split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => ours.test(name));
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test({
    name: `a lab's process stopped by ${signal} removes its namespaces, processes and folder`,
    ignore: Deno.uid() !== 0,
    async fn() {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--frozen", CHILD],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(child.stderr).text();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let made: Made | undefined;
      try {
        let text = "";
        while (!text.includes("\n")) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        if (!text.includes("\n")) assert.fail(`the child made no lab: ${await stderr}`);
        made = JSON.parse(text.split("\n")[0]!) as Made;
        // What it made is there: the check below can fail.
        assert.deepEqual((await namespacesOf(child.pid)).sort(), [...made.namespaces].sort());
        assert.ok(alive(made.sleepPid), "the process inside the lab runs");
        assert.ok(Deno.statSync(made.dir).isDirectory);

        child.kill(signal);
        const status = await child.status;
        if (status.code !== code) assert.fail(`exit ${status.code}, not ${code}: ${await stderr}`);
        assert.deepEqual(await namespacesOf(child.pid), []);
        await pollUntil(() => !alive(made!.sleepPid), "the sleep in the lab has ended", {
          timeoutMs: 5000,
        });
        assert.throws(() => Deno.statSync(made!.dir), Deno.errors.NotFound);
      } finally {
        try {
          child.kill("SIGKILL");
        } catch {
          // ended already
        }
        await child.status;
        await reader.cancel().catch(() => {});
        await stderr.catch(() => "");
        // Whatever the clean-up left (when this test fails) must not stay either.
        for (const ns of await namespacesOf(child.pid)) {
          const { stdout } = await run("ip", ["netns", "pids", ns]);
          for (const pid of stdout.split(/\s+/).filter(Boolean)) await run("kill", ["-9", pid]);
          await run("ip", ["netns", "del", ns]);
        }
        if (made) await Deno.remove(made.dir, { recursive: true }).catch(() => {});
      }
    },
  });
}
