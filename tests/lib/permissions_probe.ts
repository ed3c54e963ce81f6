/**
 * Run by tests/unit/runtime_permissions_test.ts with the product's own permission set
 * (`deno run -P` with deno.json): tries what deno.json never grants, then calls the tunnel's
 * applyRuntimePermissions(MODE) exactly as main.ts does after setup and tries what it revoked,
 * and what it keeps. Prints one JSON line: each attempt's outcome.
 */
import { applyRuntimePermissions } from "../../src/privilege/runtime_permissions.ts";

type Outcome = { ok: true } | { ok: false; error: string; message: string };

async function attempt(fn: () => unknown): Promise<Outcome> {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    const e = error as Error;
    return { ok: false, error: e.name, message: e.message };
  }
}

const [mode = "server", scratch = "", readable = ""] = Deno.args;
const result: Record<string, unknown> = {};
// Never granted by deno.json: running programs, any other environment variable.
result.runBefore = await attempt(() => new Deno.Command("true").outputSync());
result.envOtherBefore = await attempt(() => Deno.env.get("HOME"));
// Granted until setup ends.
result.writeBefore = await attempt(() => Deno.writeTextFileSync(`${scratch}/before`, "x"));
result.envOwnBefore = await attempt(() => Deno.env.get("SSSONECTOR_DEBUG"));

result.revoked = await applyRuntimePermissions(mode as "server" | "client");

result.write = await attempt(() => Deno.writeTextFileSync(`${scratch}/after`, "x"));
result.env = await attempt(() => Deno.env.get("SSSONECTOR_DEBUG"));
result.run = await attempt(() => new Deno.Command("true").outputSync());
result.ffi = await attempt(() =>
  Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } })
);
result.sys = await attempt(() => Deno.uid());
result.net = await attempt(() => Deno.listen({ hostname: "127.0.0.1", port: 0 }).close());
result.read = await attempt(() => Deno.readTextFileSync(readable));
console.log(JSON.stringify(result));
