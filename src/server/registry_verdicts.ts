/**
 * What the server's clients list (`clients:`, `unlisted`) says of a name and of the addresses a
 * live session holds: at accept, and again for every live session when a reload changes the
 * list. Pure.
 *
 * @module
 */

import type { ClientRegistryConfig, RegisteredClient } from "../config/types.ts";
import { CloseCode } from "../frame/control.ts";
import { type IpPrefix, sameAddress } from "../ip/prefix.ts";
import { formatAddress } from "../ip/address.ts";
import { SessionRefusal } from "../session/session.ts";

/** What a registry reload means for the live sessions (see ClientAdmission.update). */
export interface PolicyUpdate<Peer> {
  /** Sessions no longer allowed, with the reason to close them with. */
  readonly refused: readonly Refused<Peer>[];
  /** Sessions still allowed whose registry routes changed: the table already follows. */
  readonly rerouted: readonly Rerouted<Peer>[];
}

export interface Refused<Peer> {
  readonly peer: Peer;
  readonly refusal: SessionRefusal;
}

export interface Rerouted<Peer> {
  readonly peer: Peer;
  readonly addresses: readonly IpPrefix[];
  readonly routes: readonly IpPrefix[];
  readonly install: readonly IpPrefix[];
  readonly uninstall: readonly IpPrefix[];
}

/**
 * The registry's refusal of `name` (`entry`: its clients entry, if listed): listed with
 * allow: false, or not listed while unlisted names are refused. Undefined without a registry.
 */
export function registryRefusal(
  name: string,
  { registry, entry }: {
    readonly registry: ClientRegistryConfig | undefined;
    readonly entry: RegisteredClient | undefined;
  },
): SessionRefusal | undefined {
  if (!registry) return undefined;
  if (entry && !entry.allow) {
    return new SessionRefusal(
      CloseCode.CertificateRefused,
      `client ${name} is refused by the server's clients list (allow: false)`,
    );
  }
  if (!entry && registry.unlisted === "refuse") {
    return new SessionRefusal(
      CloseCode.CertificateRefused,
      `client ${name} is not in the server's clients list; add it there (or set unlisted: allow)`,
    );
  }
  return undefined;
}

/**
 * Whether the addresses a session of `name` holds are still its own: none may be pinned to
 * another name (`pinned`: formatted address to name), and when its entry pins addresses, each
 * held address must be the pinned one of its family.
 */
export function heldAddressRefusal(
  name: string,
  { addresses, entry, pinned }: {
    readonly addresses: readonly IpPrefix[];
    readonly entry: RegisteredClient | undefined;
    readonly pinned: ReadonlyMap<string, string>;
  },
): SessionRefusal | undefined {
  for (const address of addresses) {
    const text = formatAddress(address.bytes);
    const pinnedTo = pinned.get(text);
    if (pinnedTo !== undefined && pinnedTo !== name) {
      return new SessionRefusal(
        CloseCode.AddressInUse,
        `address ${text} now belongs to client ${pinnedTo} in the server's clients list`,
      );
    }
    if (!entry || entry.addresses.length === 0) continue;
    const pins = entry.addresses.filter((a) => a.family === address.family);
    if (!pins.some((p) => sameAddress(p.bytes, address.bytes))) {
      const should = pins[0] ? formatAddress(pins[0].bytes) : `no IPv${address.family} address`;
      return new SessionRefusal(
        CloseCode.AddressRejected,
        `the server's clients list now gives client ${name} ${should}, not ${text}`,
      );
    }
  }
  return undefined;
}
