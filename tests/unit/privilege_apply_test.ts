import assert from "node:assert/strict";
import { parseConfig } from "../../src/config/parse.ts";
import { ConfigError } from "../../src/config/errors.ts";
import type { Logger } from "@logtape/logtape";
import {
  applyLeastPrivilege,
  keyGroupProblem,
  runAsFor,
  unreadableAfterDrop,
} from "../../src/privilege/apply.ts";
import { parseThreadStatus } from "../../src/privilege/thread_credentials.ts";

Deno.test("runAsFor(): root drops to nobody and its primary group unless told otherwise", () => {
  assert.deepEqual(runAsFor({}, 0), { kind: "drop", spec: { user: "nobody" } });
  assert.deepEqual(runAsFor({ group: "sss" }, 0), {
    kind: "drop",
    spec: { user: "nobody", group: "sss" },
  });
  assert.deepEqual(runAsFor({ user: "sss", group: "sss" }, 0), {
    kind: "drop",
    spec: { user: "sss", group: "sss" },
  });
});

Deno.test("runAsFor(): security.user root keeps root with a warning; non-root keeps quietly", () => {
  for (const user of ["root", "0"]) {
    const decision = runAsFor({ user }, 0);
    assert.equal(decision.kind, "keep");
    assert.ok(decision.kind === "keep" && decision.warn);
    assert.match(decision.kind === "keep" ? decision.message : "", /keeps every root privilege/);
  }
  assert.deepEqual(runAsFor({}, 1000), {
    kind: "keep",
    warn: false,
    message: "running as uid 1000, not root: no privileges to drop",
  });
  // A user named by a process that is not root is attempted (and fails clearly in the drop).
  assert.deepEqual(runAsFor({ user: "sss" }, 1000), { kind: "drop", spec: { user: "sss" } });
});

const CLIENT = `mode: client
server: vpn.example.com:443
address: 10.0.0.2/24
security:
  tls:
    cert_file: c.crt
    key_file: c.key
    ca_file: ca.crt
`;

Deno.test("security.user and security.group take names and numeric ids; bad ones are one line", () => {
  const withKeys = (lines: string) => CLIENT.replace("security:\n", `security:\n${lines}`);
  const config = parseConfig(withKeys("  user: sss-run\n  group: 65534\n"), "/c.yaml");
  assert.equal(config.security.user, "sss-run");
  assert.equal(config.security.group, "65534");
  assert.equal(parseConfig(CLIENT, "/c.yaml").security.user, undefined);
  try {
    parseConfig(withKeys('  user: "bad user"\n'), "/c.yaml");
    assert.fail("accepted");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.format(),
      '/c.yaml: security.user (line 5): "bad user" is not a user name or id; expected a user ' +
        "name or a numeric id, e.g. nobody or 65534",
    );
  }
});

Deno.test("unreadableAfterDrop() names each file a reload could not read, and the fix", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.crt`, "x");
    const tls = {
      enabled: true as const,
      minVersion: "1.2" as const,
      certFile: `${dir}/c.crt`,
      keyFile: `${dir}/missing.key`,
      caFile: `${dir}/c.crt`,
    };
    const warnings = await unreadableAfterDrop(tls, { user: "nobody", group: "nogroup" });
    assert.deepEqual(warnings, [
      `nobody:nogroup cannot read security.tls.key_file ${dir}/missing.key (not found): a ` +
      "certificate reload (SIGHUP) will be refused and keep the current set; fix with: chgrp " +
      `nogroup ${dir}/missing.key && chmod 640 ${dir}/missing.key, and make its folders searchable`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keyGroupProblem() refuses a group-readable key whose group is not the run group", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const key = `${dir}/server.key`;
    await Deno.writeTextFile(key, "secret");
    await Deno.chmod(key, 0o600);
    assert.equal(await keyGroupProblem(key, { group: "nogroup", gid: 65534 }), undefined);
    await Deno.chmod(key, 0o640);
    const gid = (await Deno.stat(key)).gid!;
    assert.equal(await keyGroupProblem(key, { group: "mine", gid }), undefined, "the run group");
    const problem = await keyGroupProblem(key, { group: "nogroup", gid: gid + 1 });
    assert.match(problem!, /readable by group \d+ \(mode 0640\), not by the run group nogroup/);
    assert.match(problem!, new RegExp(`fix with: chgrp nogroup ${key} \\(or chmod 600 ${key}\\)`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("applyLeastPrivilege({ keepNetAdmin }) logs which thread keeps CAP_NET_ADMIN, and why", async () => {
  const fixtures = new URL("../fixtures/accounts/", import.meta.url).pathname;
  const status = parseThreadStatus(4245, await Deno.readTextFile(`${fixtures}status`));
  const agent = {
    ...status,
    tid: 4300,
    name: "sss-netlink",
    capEff: "0000000000001000",
    capPrm: "0000000000001000",
    capBnd: "0000000000001000",
  };
  let flags = -1;
  const lib = {
    symbols: {
      sss_drop_privileges: (..._args: unknown[]) => {
        flags = _args[4] as number;
        return 0;
      },
      sss_netlink_agent_tid: () => 4300,
      sss_thread_status: () => -1, // not used: the threads are given below
      sss_strerror: () => null,
    },
  } as unknown as Parameters<typeof applyLeastPrivilege>[0];
  const lines: string[] = [];
  const log = {
    info: (message: string, props: Record<string, unknown>) =>
      lines.push(message.replace(/\{(\w+)\}/g, (_, key) => String(props[key]))),
    warn: (_message: string, props: Record<string, unknown>) => lines.push(String(props.message)),
  } as unknown as Logger;
  const tls = {
    enabled: true as const,
    minVersion: "1.2" as const,
    certFile: `${fixtures}status`,
    keyFile: `${fixtures}status`,
    caFile: `${fixtures}status`,
  };
  await applyLeastPrivilege(
    lib,
    { handshakeTimeout: 10, maxPendingConnections: 1, maxPendingPerSource: 1, tls },
    log,
    {
      uid: 0,
      passwdPath: `${fixtures}passwd`,
      groupPath: `${fixtures}group`,
      threads: () => Promise.resolve([status, agent]),
      keepNetAdmin: "the routes of registered clients come and go with their sessions",
    },
  );
  assert.equal(flags, 1);
  assert.deepEqual(lines, [
    "dropped privileges to nobody:nogroup (uid 65534, gid 65534): every thread without " +
    "capabilities, with NoNewPrivs and the seccomp filter, but one: thread 4300 of the shim " +
    "keeps CAP_NET_ADMIN and only adds and removes routes: the routes of registered clients " +
    "come and go with their sessions",
  ]);
});
