import assert from "node:assert/strict";
import {
  defaultRunUser,
  readDefaultRunAccount,
  readDefaultRunUser,
} from "../../src/account/run_account.ts";
import { runAsFor } from "../../src/privilege/apply.ts";
import {
  permits,
  readProblem,
  reloadReadWarnings,
  runUserReadWarnings,
} from "../../src/privilege/file_access.ts";

const FIXTURES = new URL("../fixtures/accounts/", import.meta.url).pathname;
const PASSWD =
  "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

Deno.test("defaultRunUser(): the dedicated sssonector user when the host has it, else nobody", () => {
  assert.equal(defaultRunUser(PASSWD), "nobody");
  assert.equal(
    defaultRunUser(`${PASSWD}sssonector:x:998:997::/nonexistent:/usr/sbin/nologin\n`),
    "sssonector",
  );
  assert.equal(defaultRunUser("#sssonector:x:998:997::/:/bin/false\n"), "nobody", "a comment");
});

Deno.test("readDefaultRunAccount() resolves the dedicated user and its group from the files", async () => {
  const paths = { passwdPath: `${FIXTURES}passwd`, groupPath: `${FIXTURES}group` };
  assert.equal(await readDefaultRunUser(paths), "sssonector");
  const account = await readDefaultRunAccount(paths);
  assert.equal(account?.user, "sssonector");
  assert.equal(account?.uid, 998);
  assert.equal(account?.group, "sssonector");
  assert.equal(account?.gid, 997);
  assert.equal(await readDefaultRunUser({ passwdPath: `${FIXTURES}missing` }), "nobody");
});

Deno.test("runAsFor(): root without security.user drops to the default it is given", () => {
  assert.deepEqual(runAsFor({}, 0, "sssonector"), { kind: "drop", spec: { user: "sssonector" } });
  assert.deepEqual(runAsFor({ user: "web" }, 0, "sssonector"), {
    kind: "drop",
    spec: { user: "web" },
  });
});

const RUN = { uid: 998, gid: 997, groups: [997] };

Deno.test("permits(): owner, then group, then others, as the kernel decides", () => {
  assert.equal(permits(RUN, { uid: 0, gid: 997, mode: 0o640 }, 4), true, "group read");
  assert.equal(permits(RUN, { uid: 0, gid: 0, mode: 0o640 }, 4), false, "root's alone");
  assert.equal(permits(RUN, { uid: 998, gid: 0, mode: 0o040 }, 4), false, "owner bits win");
  assert.equal(permits(RUN, { uid: 0, gid: 0, mode: 0o755 }, 1), true, "others search");
  assert.equal(permits(RUN, { uid: 0, gid: 997, mode: 0o700 }, 1), false);
});

Deno.test("readProblem() names the first folder the run user cannot enter, or the file", async () => {
  const tree: Record<string, { uid: number; gid: number; mode: number }> = {
    "/": { uid: 0, gid: 0, mode: 0o755 },
    "/etc": { uid: 0, gid: 0, mode: 0o755 },
    "/etc/sss": { uid: 0, gid: 0, mode: 0o700 },
    "/etc/sss/server.key": { uid: 0, gid: 997, mode: 0o640 },
  };
  const stat = (path: string) => Promise.resolve(tree[path]!);
  assert.match(
    (await readProblem("/etc/sss/server.key", RUN, stat)) ?? "",
    /^cannot enter the folder \/etc\/sss \(uid 0, gid 0, mode 0700\)$/,
  );
  tree["/etc/sss"] = { uid: 0, gid: 997, mode: 0o750 };
  assert.equal(await readProblem("/etc/sss/server.key", RUN, stat), undefined);
  tree["/etc/sss/server.key"] = { uid: 0, gid: 0, mode: 0o600 };
  assert.match((await readProblem("/etc/sss/server.key", RUN, stat)) ?? "", /^cannot read it/);
});

Deno.test("reloadReadWarnings() gives one line per file a SIGHUP could not re-read, with the fix", async () => {
  const tls = {
    enabled: true as const,
    minVersion: "1.2" as const,
    certFile: "/c/server.crt",
    keyFile: "/c/server.key",
    caFile: "/c/ca.crt",
  };
  const stat = (path: string) =>
    Promise.resolve(
      path === "/c/server.key"
        ? { uid: 0, gid: 0, mode: 0o600 }
        : { uid: 0, gid: path === "/c" ? 997 : 0, mode: path === "/c" ? 0o750 : 0o755 },
    );
  const account = { user: "sssonector", uid: 998, group: "sssonector", gid: 997, groups: [997] };
  const warnings = await reloadReadWarnings(tls, account, stat);
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(
    warnings[0]!,
    /^security\.tls\.key_file \/c\/server\.key: the run user sssonector:sssonector cannot read it .*fix with: chgrp sssonector \/c\/server\.key \/c && chmod 0640 \/c\/server\.key && chmod 0750 \/c$/,
  );
});

Deno.test("runUserReadWarnings(): --check-config names a key only root can read, for the dedicated user", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sss-runread-" });
  try {
    await Deno.chmod(dir, 0o755);
    for (const name of ["server.crt", "ca.crt"]) {
      await Deno.writeTextFile(`${dir}/${name}`, "x", { mode: 0o644 });
    }
    await Deno.writeTextFile(`${dir}/server.key`, "x", { mode: 0o600 });
    const security = {
      handshakeTimeout: 10,
      maxPendingConnections: 1,
      maxPendingPerSource: 1,
      tls: {
        enabled: true as const,
        minVersion: "1.2" as const,
        certFile: `${dir}/server.crt`,
        keyFile: `${dir}/server.key`,
        caFile: `${dir}/ca.crt`,
      },
    };
    const paths = { passwdPath: `${FIXTURES}passwd`, groupPath: `${FIXTURES}group` };
    const owner = (await Deno.stat(`${dir}/server.key`)).uid;
    if (owner === 998) return; // the fixture's sssonector would own it: nothing to see
    const warnings = await runUserReadWarnings(security, 0, paths);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, /security\.tls\.key_file .*server\.key: the run user sssonector/);
    assert.deepEqual(await runUserReadWarnings(security, 1000, paths), [], "no drop, no warning");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
