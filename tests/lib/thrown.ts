/**
 * The error a call throws, for tests that go on to check its fields: the test fails when the call
 * throws nothing, or an error of another class.
 *
 * @module
 */
import assert from "node:assert/strict";

/** What `fn` throws, checked to be a `type`; `call` names the call in the failure message. */
export function thrown<E extends Error>(
  type: abstract new (...args: never[]) => E,
  fn: () => unknown,
  call = "the call",
): E {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof type, `${call}: a ${type.name}, not ${error}`);
    return error;
  }
  assert.fail(`${call} threw nothing, not a ${type.name}`);
}
