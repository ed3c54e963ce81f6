/**
 * The server's lane tokens: when a client offers lanes, its session's Hello answer carries a
 * random 128-bit token; a second connection that names it, from the same certificate, within
 * LANE_TOKEN_TTL_MS, joins that session as its sparse lane. Pure bookkeeping with an injected
 * clock; the caller decides what joining means.
 *
 * Bounds: at most one token per session (issuing again replaces it), removed when redeemed (single
 * use), when its session ends (forget) and, once expired, at the next issue; so the map never
 * holds more entries than there are sessions.
 */

/** How long a token may wait for its connection. @default 10 s (a TLS handshake's budget) */
export const LANE_TOKEN_TTL_MS = 10_000;

/** Who presented or was given a token: the certificate, by name and fingerprint. */
export interface LaneIdentity {
  readonly name: string;
  readonly fingerprint: string;
}

interface Issued<S> {
  readonly owner: S;
  readonly identity: LaneIdentity;
  readonly expires: number;
}

/** 16 random bytes as 32 lower-case hex digits. */
export function randomLaneToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class LaneTokens<S> {
  #byToken = new Map<string, Issued<S>>();
  #byOwner = new Map<S, string>();
  #clock: () => number;
  #random: () => string;

  constructor(options: { clock?: () => number; random?: () => string } = {}) {
    this.#clock = options.clock ?? (() => performance.now());
    this.#random = options.random ?? randomLaneToken;
  }

  /** Tokens waiting to be redeemed. */
  get size(): number {
    return this.#byToken.size;
  }

  /** A new token for `owner` (its previous one, if any, no longer works). */
  issue(owner: S, identity: LaneIdentity): string {
    this.forget(owner);
    const now = this.#clock();
    for (const [token, issued] of this.#byToken) {
      if (issued.expires <= now) this.#remove(token, issued.owner);
    }
    const token = this.#random();
    this.#byToken.set(token, { owner, identity, expires: now + LANE_TOKEN_TTL_MS });
    this.#byOwner.set(owner, token);
    return token;
  }

  /**
   * The session `token` was issued to, when `identity` is the certificate it was issued to and it
   * has not expired; else the reason, for the refusal. A token is spent by any attempt, good or
   * bad: a second try with it (or a guess that hit it) finds nothing.
   */
  redeem(token: string, identity: LaneIdentity): { owner: S } | { refused: string } {
    const issued = this.#byToken.get(token);
    if (!issued) return { refused: "lane token unknown or already used" };
    this.#remove(token, issued.owner);
    if (issued.expires <= this.#clock()) return { refused: "lane token expired" };
    if (
      issued.identity.name !== identity.name || issued.identity.fingerprint !== identity.fingerprint
    ) {
      return { refused: "lane token was issued to another certificate" };
    }
    return { owner: issued.owner };
  }

  /** Drops `owner`'s token (its session ended). */
  forget(owner: S): void {
    const token = this.#byOwner.get(owner);
    if (token !== undefined) this.#remove(token, owner);
  }

  #remove(token: string, owner: S): void {
    this.#byToken.delete(token);
    if (this.#byOwner.get(owner) === token) this.#byOwner.delete(owner);
  }
}
