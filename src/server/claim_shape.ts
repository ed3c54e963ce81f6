/**
 * The first test of a client's claimed tunnel address, before any registry or lease is asked:
 * is it an address of the tunnel network that a client may hold at all? Pure.
 *
 * @module
 */

import { CloseCode, type StatedPrefix } from "../frame/control.ts";
import {
  contains,
  formatPrefix,
  type IpPrefix,
  maskBytes,
  maxLength,
  networkOf,
  sameAddress,
} from "../ip/prefix.ts";
import { formatAddress } from "../ip/address.ts";
import { SessionRefusal } from "../session/session.ts";

/**
 * The claim (`10.0.0.2/24`) parsed, or a SessionRefusal saying why no client may hold it: not
 * `IPv<family>/prefix`, no tunnel of that family, another prefix than the tunnel network's,
 * outside it, the server's own address, or the network's network or broadcast address.
 */
export function checkClaimShape(
  { text: claimed, prefix: parsed }: StatedPrefix,
  { family, tunnel }: { readonly family: 4 | 6; readonly tunnel: IpPrefix | undefined },
): IpPrefix {
  const v = `IPv${family}`;
  if (parsed === undefined || parsed.family !== family) {
    throw new SessionRefusal(
      CloseCode.AddressRejected,
      `tunnel address "${claimed}" is not ${v}/prefix`,
    );
  }
  if (!tunnel) {
    throw new SessionRefusal(
      CloseCode.AddressRejected,
      `the server has no IPv6 tunnel address; remove ${claimed} from the client's address`,
    );
  }
  const network = formatPrefix(networkOf(tunnel));
  if (parsed.length !== tunnel.length) {
    throw new SessionRefusal(
      CloseCode.AddressRejected,
      `tunnel address ${claimed} has prefix /${parsed.length}, the tunnel network is ${network}`,
    );
  }
  const text = formatAddress(parsed.bytes);
  if (!contains(networkOf(tunnel), parsed.bytes)) {
    throw new SessionRefusal(
      CloseCode.AddressRejected,
      `address ${text} is outside the tunnel network ${network}`,
    );
  }
  if (sameAddress(parsed.bytes, tunnel.bytes)) {
    throw new SessionRefusal(CloseCode.AddressRejected, `address ${text} is the server's own`);
  }
  const max = maxLength(family);
  if (tunnel.length <= max - 2) {
    const isNetwork = sameAddress(parsed.bytes, maskBytes(parsed.bytes, tunnel.length));
    const isBroadcast = family === 4 && hostBitsAllOnes(parsed.bytes, tunnel.length);
    if (isNetwork || isBroadcast) {
      throw new SessionRefusal(
        CloseCode.AddressRejected,
        `address ${text} is the tunnel network's ${isNetwork ? "network" : "broadcast"} address`,
      );
    }
  }
  return parsed;
}

function hostBitsAllOnes(bytes: Uint8Array, length: number): boolean {
  for (let bit = length; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >>> 3]! >> (7 - (bit & 7))) & 1) === 0) return false;
  }
  return true;
}
