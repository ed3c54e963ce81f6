import assert from "node:assert/strict";
import { LANE_TOKEN_TTL_MS, LaneTokens, randomLaneToken } from "../../src/session/lane_tokens.ts";
import { LANE_TOKEN_PATTERN } from "../../src/frame/control.ts";

const alpha = { name: "alpha", fingerprint: "fp-a" };

function tokens() {
  const clock = { now: 0 };
  return { clock, tokens: new LaneTokens<string>({ clock: () => clock.now }) };
}

Deno.test("randomLaneToken() gives 128 random bits as the Hello's pattern wants them", () => {
  const seen = new Set(Array.from({ length: 100 }, () => randomLaneToken()));
  assert.equal(seen.size, 100);
  for (const token of seen) assert.match(token, LANE_TOKEN_PATTERN);
});

Deno.test("LaneTokens redeems a token once, for the certificate it was issued to", () => {
  const { tokens: t } = tokens();
  const token = t.issue("session-1", alpha);
  assert.deepEqual(t.redeem(token, alpha), { owner: "session-1" });
  assert.deepEqual(t.redeem(token, alpha), { refused: "lane token unknown or already used" });
  assert.equal(t.size, 0);
});

Deno.test("LaneTokens refuses another certificate of the same name, and the token is spent", () => {
  const { tokens: t } = tokens();
  const token = t.issue("session-1", alpha);
  assert.deepEqual(t.redeem(token, { name: "alpha", fingerprint: "fp-other" }), {
    refused: "lane token was issued to another certificate",
  });
  assert.ok("refused" in t.redeem(token, alpha));
});

Deno.test("LaneTokens refuses an expired token and sweeps expired ones when issuing", () => {
  const { clock, tokens: t } = tokens();
  const old = t.issue("session-1", alpha);
  t.issue("session-2", alpha);
  clock.now = LANE_TOKEN_TTL_MS;
  assert.deepEqual(t.redeem(old, alpha), { refused: "lane token expired" });
  assert.equal(t.size, 1);
  t.issue("session-3", alpha);
  assert.equal(t.size, 1, "session-2's expired token is gone");
});

Deno.test("LaneTokens holds one token per session: a new one replaces it, forget() drops it", () => {
  const { tokens: t } = tokens();
  const first = t.issue("session-1", alpha);
  const second = t.issue("session-1", alpha);
  assert.equal(t.size, 1);
  assert.ok("refused" in t.redeem(first, alpha));
  t.forget("session-1");
  assert.equal(t.size, 0);
  assert.ok("refused" in t.redeem(second, alpha));
});
