import assert from "node:assert/strict";
import { dropPrivileges } from "../../src/privilege/drop.ts";
import type { DropSymbols } from "../../src/native/privilege.ts";
import { PrivilegeError } from "../../src/privilege/errors.ts";
import {
  parseThreadStatus,
  readThreadCredentials,
  type ThreadCredentials,
} from "../../src/privilege/thread_credentials.ts";

const FIXTURES = new URL("../fixtures/accounts/", import.meta.url).pathname;
const paths = { passwdPath: `${FIXTURES}passwd`, groupPath: `${FIXTURES}group` };
const STATUS = Deno.readTextFileSync(`${FIXTURES}status`);

const texts = new Map([[1, "Operation not permitted"], [3, "No such process"]].map(
  ([errno, text]) => [errno as number, new TextEncoder().encode(`${text}\0`)],
));

/**
 * A shim whose drop returns `rc` with `stage`, and records what it was asked. `agent` is what
 * sss_netlink_agent_tid answers after a drop with the keep flag.
 */
function fakeShim(rc = 0, stage = 0, agent = 4300) {
  const calls: Array<{ uid: number; gid: number; groups: number[]; flags: number }> = [];
  let kept = false;
  const lib: DropSymbols = {
    symbols: {
      sss_drop_privileges(uid, gid, groups, count, flags, err) {
        calls.push({ uid, gid, groups: [...(groups as Uint32Array).subarray(0, count)], flags });
        const out = err as Int32Array;
        out[0] = rc;
        out[1] = stage;
        kept = rc === 0 && (flags & 1) === 1;
        return rc;
      },
      sss_netlink_agent_tid() {
        return kept ? agent : 0;
      },
      sss_strerror(err) {
        const text = texts.get(Math.abs(err));
        return text ? Deno.UnsafePointer.of(text) : null;
      },
    },
  };
  return { lib, calls };
}

const dropped = parseThreadStatus(4245, STATUS);
const threads = (...list: ThreadCredentials[]) => () => Promise.resolve(list);

async function failure(promise: Promise<unknown>): Promise<PrivilegeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof PrivilegeError, String(error));
    return error;
  }
  assert.fail("no PrivilegeError");
}

Deno.test("parseThreadStatus() reads ids, groups, capabilities, NoNewPrivs and Seccomp", () => {
  assert.deepEqual(dropped, {
    tid: 4245,
    name: "tokio-runtime-w",
    uid: [65534, 65534, 65534, 65534],
    gid: [65534, 65534, 65534, 65534],
    groups: [65534],
    capEff: "0000000000000000",
    capPrm: "0000000000000000",
    capInh: "0000000000000000",
    capBnd: "000001ffffffffff",
    capAmb: "0000000000000000",
    noNewPrivs: 1,
    seccomp: 2,
  });
  assert.throws(() => parseThreadStatus(1, "Name:\tx\n"), SyntaxError);
});

Deno.test("readThreadCredentials() reads every thread of this process", async () => {
  const mine = await readThreadCredentials();
  assert.ok(mine.length >= 1);
  assert.ok(mine.some((t) => t.tid === Deno.pid), "the main thread is among them");
  assert.ok(mine.every((t) => t.uid[1] === Deno.uid()));
});

Deno.test("dropPrivileges() passes the resolved ids to the shim and checks every thread", async () => {
  const { lib, calls } = fakeShim();
  const account = await dropPrivileges(lib, { user: "sssonector" }, {
    ...paths,
    threads: threads({ ...dropped, uid: [998, 998, 998, 998], gid: [997, 997, 997, 997] }),
  });
  assert.deepEqual(calls, [{ uid: 998, gid: 997, groups: [997, 108, 2000], flags: 0 }]);
  assert.equal("netAdminTask" in account, false, "no thread keeps anything without the option");
  assert.equal(account.user, "sssonector");
});

Deno.test("dropPrivileges() refuses uid 0 without calling the shim", async () => {
  const { lib, calls } = fakeShim();
  const error = await failure(dropPrivileges(lib, { user: "root" }, paths));
  assert.equal(
    error.message,
    "cannot drop privileges to root:root (uid 0, gid 0): uid 0 is root, that is no drop",
  );
  assert.deepEqual(calls, []);
});

Deno.test("dropPrivileges() says which step failed, and what to do when it was not root", async () => {
  const { lib } = fakeShim(-1, 1);
  const error = await failure(dropPrivileges(lib, { user: "nobody", group: "nogroup" }, paths));
  assert.equal(
    error.message,
    "cannot drop privileges to nobody:nogroup (uid 65534, gid 65534): setgroups: operation not " +
      "permitted; start as root (changing user needs CAP_SETUID and CAP_SETGID)",
  );
  assert.equal(error.errno, 1);

  const late = await failure(dropPrivileges(fakeShim(-3, 6).lib, { user: "nobody" }, paths));
  assert.equal(
    late.message,
    "cannot drop privileges to nobody:nogroup (uid 65534, gid 65534): installing the seccomp " +
      "filter: no such process; the ids are dropped but the process is not locked down: stop it",
  );
});

Deno.test("dropPrivileges() fails when any thread kept an id, a capability or no filter", async () => {
  const cases: Array<[Partial<ThreadCredentials>, string]> = [
    [{ uid: [0, 65534, 65534, 65534] }, "has uids 0 65534 65534 65534"],
    [{ gid: [0, 0, 0, 0] }, "has gids 0 0 0 0"],
    [
      { capEff: "000001ffffffffff" },
      "has capabilities (CapEff 000001ffffffffff, CapPrm 0000000000000000)",
    ],
    [{ noNewPrivs: 0 }, "has NoNewPrivs 0"],
    [{ seccomp: 0 }, "has no seccomp filter (Seccomp 0)"],
  ];
  for (const [kept, says] of cases) {
    const error = await failure(
      dropPrivileges(fakeShim().lib, { user: "nobody" }, {
        ...paths,
        threads: threads(dropped, { ...dropped, tid: 4250, name: "worker", ...kept }),
      }),
    );
    assert.equal(
      error.message,
      `privileges were not dropped on every thread: thread 4250 (worker) ${says}`,
    );
  }
});

Deno.test("dropPrivileges() names an account file it cannot read", async () => {
  const error = await failure(
    dropPrivileges(fakeShim().lib, { user: "nobody" }, { passwdPath: "/nonexistent/passwd" }),
  );
  assert.match(error.message, /^cannot drop privileges: cannot read \/nonexistent\/passwd: /);
});

/** The netlink agent's status after a drop that keeps CAP_NET_ADMIN. */
const agentThread: ThreadCredentials = {
  ...dropped,
  tid: 4300,
  name: "sss-netlink",
  capEff: "0000000000001000",
  capPrm: "0000000000001000",
  capBnd: "0000000000001000",
};
const keep = { ...paths, keepNetAdmin: "routes of registered clients" };

Deno.test("dropPrivileges({ keepNetAdmin }) asks the shim to keep CAP_NET_ADMIN and names the thread", async () => {
  const { lib, calls } = fakeShim();
  const account = await dropPrivileges(lib, { user: "nobody" }, {
    ...keep,
    threads: threads(dropped, agentThread, { ...dropped, tid: 4301 }),
  });
  assert.equal(calls[0]!.flags, 1, "SSS_DROP_KEEP_NET_ADMIN");
  assert.equal(account.netAdminTask, 4300);
  assert.equal(account.user, "nobody");
});

Deno.test("dropPrivileges({ keepNetAdmin }) accepts CAP_NET_ADMIN on the agent alone, and only it", async () => {
  const cases: Array<[ThreadCredentials[], string]> = [
    // The JavaScript thread (or any other) with CAP_NET_ADMIN as well.
    [
      [{ ...dropped, capEff: "0000000000001000", capPrm: "0000000000001000" }, agentThread],
      "thread 4245 (tokio-runtime-w) has capabilities (CapEff 0000000000001000, CapPrm 0000000000001000)",
    ],
    // The agent with more than CAP_NET_ADMIN.
    [
      [dropped, { ...agentThread, capEff: "0000000000003000" }],
      "thread 4300 (sss-netlink) should have CAP_NET_ADMIN alone (CapEff 0000000000003000, CapPrm 0000000000001000)",
    ],
    [
      [dropped, { ...agentThread, capPrm: "000001ffffffffff" }],
      "thread 4300 (sss-netlink) should have CAP_NET_ADMIN alone (CapEff 0000000000001000, CapPrm 000001ffffffffff)",
    ],
    // The agent with a wider bounding set, an inheritable or an ambient set.
    [
      [dropped, { ...agentThread, capBnd: "000001ffffffffff" }],
      "thread 4300 (sss-netlink) should have CAP_NET_ADMIN alone (CapInh 0000000000000000, CapBnd 000001ffffffffff)",
    ],
    [
      [dropped, { ...agentThread, capInh: "0000000000001000" }],
      "thread 4300 (sss-netlink) should have CAP_NET_ADMIN alone (CapInh 0000000000001000, CapBnd 0000000000001000)",
    ],
    [
      [dropped, { ...agentThread, capAmb: "0000000000001000" }],
      "thread 4300 (sss-netlink) has ambient capabilities (CapAmb 0000000000001000)",
    ],
    // The agent that lost its capability is no agent.
    [
      [dropped, { ...agentThread, capEff: "0000000000000000", capPrm: "0000000000000000" }],
      "thread 4300 (sss-netlink) should have CAP_NET_ADMIN alone (CapEff 0000000000000000, CapPrm 0000000000000000)",
    ],
  ];
  for (const [list, says] of cases) {
    const error = await failure(
      dropPrivileges(fakeShim().lib, { user: "nobody" }, { ...keep, threads: threads(...list) }),
    );
    assert.equal(error.message, `privileges were not dropped on every thread: ${says}`);
  }
  // Without the option, the agent's status is a thread that kept a capability.
  const without = await failure(
    dropPrivileges(fakeShim().lib, { user: "nobody" }, {
      ...paths,
      threads: threads(dropped, agentThread),
    }),
  );
  assert.match(without.message, /thread 4300 \(sss-netlink\) has capabilities/);
});

Deno.test("dropPrivileges({ keepNetAdmin }) fails when the agent is missing or a keep stage fails", async () => {
  const gone = await failure(
    dropPrivileges(fakeShim().lib, { user: "nobody" }, { ...keep, threads: threads(dropped) }),
  );
  assert.equal(
    gone.message,
    "the thread that keeps CAP_NET_ADMIN (task 4300) is not among the process's threads",
  );
  const none = await failure(
    dropPrivileges(fakeShim(0, 0, 0).lib, { user: "nobody" }, { ...keep, threads: threads() }),
  );
  assert.match(none.message, /no thread kept CAP_NET_ADMIN/);

  const start = await failure(dropPrivileges(fakeShim(-1, 7).lib, { user: "nobody" }, keep));
  assert.equal(
    start.message,
    "cannot drop privileges to nobody:nogroup (uid 65534, gid 65534): starting the thread that " +
      "keeps CAP_NET_ADMIN: operation not permitted; start as root (changing user needs " +
      "CAP_SETUID and CAP_SETGID)",
  );
  const limit = await failure(dropPrivileges(fakeShim(-1, 8).lib, { user: "nobody" }, keep));
  assert.equal(
    limit.message,
    "cannot drop privileges to nobody:nogroup (uid 65534, gid 65534): limiting that thread to " +
      "CAP_NET_ADMIN: operation not permitted; the ids are dropped but the process is not " +
      "locked down: stop it",
  );
});
