/** Reads a TUN device's offload state from `ip -details link show DEV`. */

/**
 * Whether the device was opened with IFF_VNET_HDR (checksum and segmentation offloads), from
 * the `tun type tun pi off vnet_hdr on ...` line; undefined when the output has no such field.
 */
export function parseVnetHdr(ipDetails: string): boolean | undefined {
  const match = /\bvnet_hdr (on|off)\b/.exec(ipDetails);
  return match ? match[1] === "on" : undefined;
}
