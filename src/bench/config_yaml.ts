/** Edits to the lab's generated YAML configurations that the benchmark needs. */

/**
 * Returns the configuration with `network.offload` set, inserted as the first key of the
 * existing top-level `network:` block (or replacing an `offload:` key already in it).
 */
export function setNetworkOffload(yaml: string, offload: boolean): string {
  const block = /^network:[ \t]*\n((?:[ \t]+.*\n?)*)/m.exec(yaml);
  if (!block) throw new SyntaxError("Cannot set network.offload: no top-level network: block");
  const body = block[1] ?? "";
  const indent = /^([ \t]+)/.exec(body)?.[1] ?? "  ";
  const existing = new RegExp(`^${indent}offload:.*$`, "m");
  const newBody = existing.test(body)
    ? body.replace(existing, `${indent}offload: ${offload}`)
    : `${indent}offload: ${offload}\n${body}`;
  const start = block.index + block[0].length - body.length;
  return yaml.slice(0, start) + newBody + yaml.slice(block.index + block[0].length);
}

/** The `interface:` name of a configuration; `tun0` when the key is absent. */
export function interfaceName(yaml: string): string {
  return /^interface:[ \t]*["']?([^"'\s#]+)/m.exec(yaml)?.[1] ?? "tun0";
}
