import assert from "node:assert/strict";
import {
  AccountError,
  parseGroup,
  parsePasswd,
  resolveAccount,
} from "../../src/account/accounts.ts";

const FIXTURES = new URL("../fixtures/accounts/", import.meta.url);
const files = {
  passwd: Deno.readTextFileSync(new URL("passwd", FIXTURES)),
  group: Deno.readTextFileSync(new URL("group", FIXTURES)),
};

Deno.test("parsePasswd() keeps well-formed lines and skips comments, NIS entries and bad ids", () => {
  assert.deepEqual(parsePasswd(files.passwd).map((u) => `${u.name}:${u.uid}:${u.gid}`), [
    "root:0:0",
    "daemon:1:1",
    "sssonector:998:997",
    "nobody:65534:65534",
    "sssonector:1234:1234",
  ]);
});

Deno.test("parseGroup() reads members with spaces around them, and groups without members", () => {
  const groups = parseGroup(files.group);
  assert.deepEqual(groups.find((g) => g.name === "tunnels")?.members, ["alice", "sssonector"]);
  assert.deepEqual(groups.find((g) => g.name === "nogroup"), {
    name: "nogroup",
    gid: 65534,
    members: [],
  });
});

Deno.test("resolveAccount() resolves nobody:nogroup by name", () => {
  assert.deepEqual(resolveAccount({ user: "nobody", group: "nogroup" }, files), {
    user: "nobody",
    uid: 65534,
    group: "nogroup",
    gid: 65534,
    groups: [65534],
  });
});

Deno.test("resolveAccount() takes the primary group from passwd and adds the user's other groups", () => {
  // The first "sssonector" line wins, as in libc; the user is listed in ssl-cert and tunnels.
  assert.deepEqual(resolveAccount({ user: "sssonector" }, files), {
    user: "sssonector",
    uid: 998,
    group: "sssonector",
    gid: 997,
    groups: [997, 108, 2000],
  });
});

Deno.test("resolveAccount() accepts numeric ids, with or without a line in the files", () => {
  const numeric = resolveAccount({ user: "65534", group: "65534" }, files);
  assert.deepEqual([numeric.user, numeric.group, numeric.uid, numeric.gid], [
    "nobody",
    "nogroup",
    65534,
    65534,
  ]);
  const unlisted = resolveAccount({ user: "4000", group: "4001" }, files);
  assert.deepEqual(unlisted, { user: "4000", uid: 4000, group: "4001", gid: 4001, groups: [4001] });
});

Deno.test("resolveAccount() names the file when a user or group is unknown", () => {
  const problem = (spec: { user: string; group?: string }) => {
    try {
      resolveAccount(spec, { ...files, passwdPath: "/x/passwd", groupPath: "/x/group" });
    } catch (error) {
      assert.ok(error instanceof AccountError);
      return error.message;
    }
    assert.fail("resolved");
  };
  assert.equal(problem({ user: "mallory" }), 'unknown user "mallory": it is not in /x/passwd');
  assert.equal(
    problem({ user: "nobody", group: "wheel" }),
    'unknown group "wheel": it is not in /x/group',
  );
  assert.equal(
    problem({ user: "4000" }),
    "user id 4000 is not in /x/passwd, so it has no primary group: name the group too",
  );
  // (uid_t)-1 means "unchanged" to setresuid: never accepted as an id.
  assert.equal(
    problem({ user: "4294967295" }),
    'unknown user "4294967295": it is not in /x/passwd',
  );
});
