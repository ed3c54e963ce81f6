import assert from "node:assert/strict";
import { firstExit } from "../../tools/lab/wait_for_ping.ts";

Deno.test("firstExit() says nothing while all run, then names the first process that exited", async () => {
  let endClient!: (status: Deno.CommandStatus) => void;
  let endServer!: (status: Deno.CommandStatus) => void;
  const gaveUp = firstExit({
    server: new Promise((resolve) => (endServer = resolve)),
    client: new Promise((resolve) => (endClient = resolve)),
  });
  assert.equal(gaveUp(), undefined);
  endClient({ success: false, code: 3, signal: null });
  await Promise.resolve();
  assert.equal(gaveUp(), "the client exited with code 3");
  endServer({ success: false, code: 1, signal: null });
  await Promise.resolve();
  assert.equal(gaveUp(), "the client exited with code 3", "the first exit is kept");
});
