import assert from "node:assert/strict";
import { dropPrivileges, type PrivilegeLibrary } from "../../src/privilege/drop.ts";
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

/** A shim whose drop returns `rc` with `stage`, and records what it was asked. */
function fakeShim(rc = 0, stage = 0) {
  const calls: Array<{ uid: number; gid: number; groups: number[] }> = [];
  const lib: PrivilegeLibrary = {
    symbols: {
      sss_drop_privileges(uid, gid, groups, count, err) {
        calls.push({ uid, gid, groups: [...(groups as Uint32Array).subarray(0, count)] });
        const out = err as Int32Array;
        out[0] = rc;
        out[1] = stage;
        return rc;
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
  assert.deepEqual(calls, [{ uid: 998, gid: 997, groups: [997, 108, 2000] }]);
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
