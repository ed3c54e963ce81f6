import assert from "node:assert/strict";
import fc from "fast-check";
import { didYouMean, editDistance, suggest } from "../../src/config/suggest.ts";

Deno.test("editDistance() counts insertions, deletions, substitutions and swaps as one edit each", () => {
  assert.equal(editDistance("listen", "listen"), 0);
  assert.equal(editDistance("listne", "listen"), 1);
  assert.equal(editDistance("mut", "mtu"), 1);
  assert.equal(editDistance("mtu", "mtuu"), 1);
  assert.equal(editDistance("address", "adress"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
});

Deno.test("editDistance() is symmetric and bounded by the longer string", () => {
  fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
    const distance = editDistance(a, b);
    assert.equal(distance, editDistance(b, a));
    assert.ok(distance <= Math.max(a.length, b.length));
    assert.equal(distance === 0, a === b);
  }));
});

Deno.test("suggest() returns the closest candidate only when it is a likely typo", () => {
  const keys = ["mode", "listen", "server", "interface", "address"];
  assert.equal(suggest("listne", keys), "listen");
  assert.equal(suggest("Adress", keys), "address");
  assert.equal(suggest("sever", keys), "server");
  assert.equal(suggest("offload", keys), undefined);
  assert.equal(suggest("x", keys), undefined);
});

Deno.test("didYouMean() formats the suggestion or nothing", () => {
  assert.equal(didYouMean("listne", ["listen"]), ' (did you mean "listen"?)');
  assert.equal(didYouMean("zzz", ["listen"]), "");
});
