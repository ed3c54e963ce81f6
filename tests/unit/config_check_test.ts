/**
 * src/config/_check.ts, the toolkit the configuration's keys are built from: where each problem
 * is placed, in which order, what absent values become, and that defaults are never shared.
 */
import assert from "node:assert/strict";
import {
  type CheckIssue,
  Default,
  INVALID,
  kind,
  List,
  Mapping,
  Optional,
  Then,
  unwrapCheck,
} from "../../src/config/_check.ts";

const text = kind(
  (value): value is string => typeof value === "string",
  (value) => `${String(value)} is not text`,
);
const short = text.then((value, issues) => {
  if (value.length <= 3) return value.toUpperCase();
  issues.push({ path: [], message: `"${value}" is too long` });
  return INVALID;
});

function issuesOf(outcome: { ok: boolean; issues?: readonly CheckIssue[] }): CheckIssue[] {
  assert.equal(outcome.ok, false);
  return [...outcome.issues!];
}

Deno.test("a check converts what it accepts and refuses the rest with its own message", () => {
  assert.deepEqual(short.parse("abc"), { ok: true, value: "ABC" });
  assert.deepEqual(issuesOf(short.parse(7)), [{ path: [], message: "7 is not text" }]);
  // The refinement runs only on what the first check accepted.
  assert.deepEqual(issuesOf(short.parse("abcd")), [{ path: [], message: '"abcd" is too long' }]);
});

Deno.test("optional and default act on an absent value only; null is a value", () => {
  assert.deepEqual(short.optional().parse(undefined), { ok: true, value: undefined });
  assert.deepEqual(issuesOf(short.optional().parse(null)), [{
    path: [],
    message: "null is not text",
  }]);
  assert.deepEqual(short.default("X").parse(undefined), { ok: true, value: "X" });
  // A default list is copied for each use: a configuration frozen later never freezes it.
  const list = new List(short, () => "not a list").default([]);
  const first = list.parse(undefined);
  const second = list.parse(undefined);
  assert.ok(first.ok && second.ok);
  assert.notEqual(first.value, second.value);
});

Deno.test("a mapping checks its keys in order, then names the keys it does not know", () => {
  const mapping = new Mapping({
    a: short,
    b: short.default("B"),
    c: short.optional(),
    inner: new Mapping({ x: short.default("X") }, () => "not a mapping", true),
  }, (value) => `${JSON.stringify(value)} is not a mapping`);
  assert.deepEqual(mapping.parse({ a: "q" }), {
    ok: true,
    value: { a: "Q", b: "B", inner: { x: "X" } },
  });
  assert.ok(!("c" in (mapping.parse({ a: "q" }) as { value: object }).value), "absent stays out");
  assert.deepEqual(issuesOf(mapping.parse({ zz: 1, b: 5, inner: { x: "long", y: 1 }, yy: 2 })), [
    { path: ["a"], message: "undefined is not text" },
    { path: ["b"], message: "5 is not text" },
    { path: ["inner", "x"], message: '"long" is too long' },
    { path: ["inner"], message: "unknown keys", unknownKeys: ["y"] },
    { path: [], message: "unknown keys", unknownKeys: ["zz", "yy"] },
  ]);
  assert.deepEqual(issuesOf(mapping.parse([1])), [{ path: [], message: "[1] is not a mapping" }]);
});

Deno.test("a list over its bound is refused as a whole; within it each entry is placed", () => {
  const list = new List(short, (value) => `${String(value)} is not a list`, {
    min: { count: 1, message: "an empty list" },
    max: { count: 3, message: (length) => `${length} are too many` },
  });
  assert.deepEqual(issuesOf(list.parse(["a", 1, "b", "toolong"])), [
    { path: [], message: "4 are too many" },
  ]);
  assert.deepEqual(issuesOf(list.parse(["a", 1, "long"])), [
    { path: [1], message: "1 is not text" },
    { path: [2], message: '"long" is too long' },
  ]);
  assert.deepEqual(issuesOf(list.parse([])), [{ path: [], message: "an empty list" }]);
  assert.deepEqual(list.parse(["a", "b"]), { ok: true, value: ["A", "B"] });
  const absentIsEmpty = new List(short, () => "not a list", {}, true);
  assert.deepEqual(absentIsEmpty.parse(null), { ok: true, value: [] });
});

Deno.test("unwrapCheck looks through optional, default and refinements to the mapping", () => {
  const mapping = new Mapping({ a: short }, () => "not a mapping");
  const wrapped = mapping.optional().default(undefined).then((value) => value);
  assert.ok(wrapped instanceof Then);
  assert.ok(wrapped.inner instanceof Default);
  assert.ok(wrapped.inner.inner instanceof Optional);
  assert.equal(unwrapCheck(wrapped), mapping);
});
