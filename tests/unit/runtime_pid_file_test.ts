import assert from "node:assert/strict";
import { PidFile } from "../../src/runtime/pid_file.ts";
import { LOG_FILE_MODE, shareLogFile } from "../../src/privilege/log_file.ts";

Deno.test("PidFile writes the pid (0644, one line) and removes it on dispose", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sss-pidfile-" });
  try {
    const path = `${dir}/sssonector.pid`;
    await Deno.writeTextFile(path, "999999\n"); // a stale file is replaced
    {
      await using file = await PidFile.write(path, 4242, (message) => assert.fail(message));
      assert.equal(await Deno.readTextFile(path), "4242\n");
      assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o644);
      assert.equal(file.path, path);
    }
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PidFile.write names the file and the reason when it cannot write", async () => {
  await assert.rejects(
    PidFile.write("/nonexistent-sss/x.pid", 1, () => {}),
    /^Error: Cannot write the pid file \/nonexistent-sss\/x\.pid \(pid_file\): not found$/,
  );
});

Deno.test("shareLogFile() gives the log file to the run group with mode 0660", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sss-logfile-" });
  try {
    const path = `${dir}/x.log`;
    await Deno.writeTextFile(path, "", { mode: 0o640 });
    const gid = (await Deno.stat(path)).gid ?? 0;
    await shareLogFile(path, { group: "mine", gid });
    assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, LOG_FILE_MODE);
    await assert.rejects(
      shareLogFile(`${dir}/missing.log`, { group: "mine", gid }),
      /Cannot give the log file .*missing\.log to group mine: not found; fix with: chown root:mine/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
