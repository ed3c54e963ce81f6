import assert from "node:assert/strict";
import { join } from "node:path";
import { getLogger, setupLogging } from "../../src/log/setup.ts";

async function tempDir() {
  const dir = await Deno.makeTempDir({ prefix: "sssonector-reopen-" });
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const lines = async (file: string) =>
  (await Deno.readTextFile(file)).split("\n").filter((line) => line !== "");

Deno.test("reopen() after a rename sends later lines to a new file and loses none", async () => {
  await using temp = await tempDir();
  const file = join(temp.dir, "x.log");
  {
    await using logging = await setupLogging({ level: "info", file });
    const log = getLogger("rotate");
    for (let i = 0; i < 5; i++) log.info("before {i}", { i });
    await Deno.rename(file, `${file}.1`);
    log.info("after the rename, before the reopen");
    const result = await logging.reopen();
    assert.equal(result.status, "reopened");
    assert.equal(result.renamed, true);
    assert.equal(result.message, `log file reopened: ${file} (a new file)`);
    log.info("after the reopen");
  }
  const old = await lines(`${file}.1`);
  assert.equal(old.length, 6);
  assert.match(old.at(-1)!, /after the rename, before the reopen$/);
  assert.deepEqual((await lines(file)).map((line) => line.replace(/^.* rotate: /, "")), [
    "after the reopen",
  ]);
});

Deno.test("reopen() of a file truncated in place (copytruncate) appends at its new end", async () => {
  await using temp = await tempDir();
  const file = join(temp.dir, "x.log");
  {
    await using logging = await setupLogging({ level: "info", file });
    getLogger("rotate").info("a long line that is copied away and truncated");
    await Deno.truncate(file, 0);
    const result = await logging.reopen();
    assert.equal(result.renamed, false);
    getLogger("rotate").info("next");
  }
  const text = await Deno.readTextFile(file);
  assert.ok(!text.includes("\0"), "no hole of zero bytes before the new line");
  assert.equal((await lines(file)).length, 1);
});

Deno.test("reopen() that cannot open the file keeps writing to the old one and says why", async () => {
  await using temp = await tempDir();
  const folder = join(temp.dir, "logs");
  await Deno.mkdir(folder);
  const file = join(folder, "x.log");
  {
    await using logging = await setupLogging({ level: "info", file });
    await Deno.rename(folder, join(temp.dir, "moved"));
    const result = await logging.reopen();
    assert.equal(result.status, "kept");
    assert.equal(
      result.message,
      `Cannot open the log file ${file}: its folder does not exist; still writing to the file ` +
        "open before",
    );
    getLogger("rotate").info("still here");
  }
  assert.match((await lines(join(temp.dir, "moved", "x.log")))[0]!, /still here$/);
});

Deno.test("reopen() without a log file is a no-op", async () => {
  await using logging = await setupLogging({ level: "error" });
  assert.equal((await logging.reopen()).status, "stdout");
});

Deno.test("format json writes one object a line with time, level, component, message, fields", async () => {
  await using temp = await tempDir();
  const file = join(temp.dir, "x.log");
  {
    await using _logging = await setupLogging({ level: "info", file, format: "json" });
    getLogger("session").warn("client {name} sent {error}", {
      name: "web\n2",
      error: new Error("bad frame"),
      bytes: 12,
      message: "clash",
    });
  }
  const [line, more] = await lines(file);
  assert.equal(more, undefined);
  const record = JSON.parse(line!);
  assert.match(record.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual({ ...record, time: undefined }, {
    time: undefined,
    level: "WARN",
    component: "session",
    message: "client web\\n2 sent Error: bad frame",
    name: "web\n2",
    error: "Error: bad frame",
    bytes: 12,
    fields: { message: "clash" },
  });
});

Deno.test({
  name: "handOver() gives the log file to the run user, so a dropped process can reopen it",
  ignore: Deno.uid() !== 0,
  async fn() {
    await using temp = await tempDir();
    const file = join(temp.dir, "x.log");
    await using logging = await setupLogging({ level: "info", file });
    await logging.handOver({ uid: 65534, gid: 65534 });
    const stat = await Deno.stat(file);
    assert.equal(stat.uid, 65534);
    assert.equal(stat.gid, 65534);
  },
});

Deno.test("handOver() without a log file does nothing", async () => {
  await using logging = await setupLogging({ level: "error" });
  await logging.handOver({ uid: 65534, gid: 65534 });
});
