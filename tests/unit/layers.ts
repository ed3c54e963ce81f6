/**
 * The layer table of src/: which folders each folder's files may import, besides their own. The
 * program's own files at the top of src/ (main.ts, run_tunnel.ts, reload.ts) are the folder ".". The same table
 * is in docs/design/architecture.md; tests/unit/product_graph_test.ts holds the code and that page
 * to it.
 *
 * @module
 */

/** The ground floor: every folder may import these, and they import no other folder. */
export const GROUND = ["base", "ip", "counters"] as const;

/** Folder -> the folders (beyond the ground floor) its files may import. */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  "base": [],
  "ip": [],
  "counters": [],
  "native": [],
  "account": [],
  "frame": [],
  "config": ["frame"],
  "tun": ["config", "frame", "native"],
  "log": ["config"],
  "pki": ["config", "account"],
  "runtime": ["native"],
  "privilege": ["config", "native", "account"],
  "routing": ["frame", "tun"],
  "cli": ["config", "pki", "monitor"],
  "transport": ["config", "native", "pki", "runtime"],
  "session": ["config", "frame", "transport"],
  "monitor": ["config", "pki", "runtime"],
  "tunnel": ["config", "frame", "tun", "pki", "runtime", "routing", "transport", "session"],
  "server": [
    "config",
    "frame",
    "tun",
    "log",
    "pki",
    "runtime",
    "routing",
    "transport",
    "session",
    "monitor",
    "tunnel",
  ],
  "client": [
    "config",
    "frame",
    "tun",
    "log",
    "pki",
    "runtime",
    "routing",
    "transport",
    "session",
    "monitor",
    "tunnel",
  ],
  ".": [
    "native",
    "config",
    "frame",
    "tun",
    "log",
    "pki",
    "runtime",
    "privilege",
    "routing",
    "cli",
    "transport",
    "session",
    "monitor",
    "server",
    "client",
    "tunnel",
  ],
};

/** Whether a file of `from` may import a file of `to` (its own folder always). */
export function mayImport(from: string, to: string): boolean {
  if (from === to) return true;
  if (to === ".") return false;
  if ((GROUND as readonly string[]).includes(to)) {
    return !(GROUND as readonly string[]).includes(from);
  }
  return LAYERS[from]?.includes(to) ?? false;
}
