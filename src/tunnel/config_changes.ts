/**
 * What a reloaded configuration file changes, by the file's key names: the keys a running
 * process can apply at once, and those it cannot (they keep their running value until a
 * restart). Pure.
 *
 * @module
 */

import { parse } from "yaml";
import { formatEffectiveConfig } from "../config/format.ts";
import type { Config } from "../config/types.ts";

/** Top-level keys a running server applies on reload; a client applies none. */
export const LIVE_SERVER_KEYS: readonly string[] = [
  "clients",
  "unlisted",
  "push_routes",
  "max_clients",
];

export interface ConfigChanges {
  /** Changed keys the running process applies now (file names, e.g. `clients`). */
  readonly live: readonly string[];
  /** Changed keys that need a restart (e.g. `listen`, `network.mtu`). */
  readonly fixed: readonly string[];
}

/** The keys whose effective value differs between `running` and `next`. */
export function configChanges(running: Config, next: Config): ConfigChanges {
  if (running.mode !== next.mode) return { live: [], fixed: ["mode"] };
  const changed = differingKeys(effective(running), effective(next), "");
  const liveKeys = running.mode === "server" ? LIVE_SERVER_KEYS : [];
  return {
    live: changed.filter((key) => liveKeys.includes(key)),
    fixed: changed.filter((key) => !liveKeys.includes(key)),
  };
}

function effective(config: Config): Record<string, unknown> {
  return parse(formatEffectiveConfig(config)) as Record<string, unknown>;
}

function isSection(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Dotted names of the leaves (or lists) that differ; a section is entered, a list compared. */
function differingKeys(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  at: string,
): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((key) => {
    const name = at === "" ? key : `${at}.${key}`;
    const [x, y] = [a[key], b[key]];
    if (isSection(x) && isSection(y)) return differingKeys(x, y, name);
    return JSON.stringify(x) === JSON.stringify(y) ? [] : [name];
  });
}

/** Reads and checks the configuration file (loadConfig); throws a ConfigError when it cannot. */
export type LoadConfig = (path: string) => Promise<Config>;

/** Result of one configuration reload (the shape reload.ts logs). */
export interface SettingsReloadResult {
  readonly status: "unchanged" | "applied" | "partial" | "kept";
  readonly message: string;
}

/**
 * Reads the configuration file again on SIGHUP and hands the live changes to the running
 * tunnel (`apply`, which returns what it did to live sessions, or undefined before the tunnel
 * has started); every other change is named once and keeps its running value.
 */
export class SettingsReload {
  #running: Config;
  readonly #load: LoadConfig;
  readonly #apply: (next: Config) => readonly string[] | undefined;

  constructor(
    running: Config,
    { load, apply }: {
      readonly load: LoadConfig;
      readonly apply: (next: Config) => readonly string[] | undefined;
    },
  ) {
    this.#running = running;
    this.#load = load;
    this.#apply = apply;
  }

  async reload(): Promise<SettingsReloadResult> {
    const path = this.#running.sourcePath;
    let next: Config;
    try {
      next = await this.#load(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n").join("; ") : String(error);
      return {
        status: "kept",
        message: `configuration not reloaded, the running one stays: ${reason}`,
      };
    }
    const changes = configChanges(this.#running, next);
    const parts: string[] = [];
    let status: SettingsReloadResult["status"] = "unchanged";
    if (changes.live.length > 0 && next.mode === "server" && this.#running.mode === "server") {
      const said = this.#apply(next);
      if (said === undefined) {
        return {
          status: "kept",
          message: `${changes.live.join(", ")} not applied: the tunnel has not started yet; ` +
            "send SIGHUP again once it has",
        };
      }
      this.#running = {
        ...this.#running,
        ...(next.registry ? { registry: next.registry } : {}),
        pushRoutes: next.pushRoutes,
        maxClients: next.maxClients,
      };
      if (next.registry === undefined) {
        const { registry: _dropped, ...rest } = this.#running;
        this.#running = rest;
      }
      status = "applied";
      parts.push(
        `configuration reloaded: ${changes.live.join(", ")} applied` +
          (said.length > 0 ? ` (${said.join("; ")})` : " (every live session stays)"),
      );
    }
    if (changes.fixed.length > 0) {
      status = "partial";
      parts.push(
        `${changes.fixed.join(", ")} changed in ${path} but cannot change while running: the ` +
          "running values stay until a restart",
      );
    }
    return { status, message: parts.join("; ") };
  }
}
