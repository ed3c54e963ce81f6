/**
 * The keys of the configuration file, their checks and their defaults. Keys are written as in
 * the file (snake_case); parse.ts turns them into the camelCase `Config` generically, so adding
 * a key is one line here (plus its field in types.ts).
 *
 * @module
 */

import { z } from "zod";
import {
  accountName,
  alwaysOn,
  endpoint,
  filePath,
  flag,
  integer,
  interfaceAddress,
  interfaceName,
  ipAddress,
  oneOf,
  outputPath,
  port,
  section,
  tlsVersion,
} from "./_fields.ts";
import type { LogFormat, LogLevel } from "./types.ts";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error"];
const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** The schema of a configuration file whose relative paths start from `baseDir`. */
export function fileSchema(baseDir: string) {
  return z.strictObject({
    mode: oneOf(["server", "client"], "a mode"),
    // Exactly one of listen/server, depending on mode; parse.ts enforces which.
    listen: endpoint(false).optional(),
    server: endpoint(true).optional(),
    interface: interfaceName().default("tun0"),
    address: interfaceAddress(),
    network: section({
      mtu: integer(576, 65535).default(1500),
      offload: flag().default(true),
      keepalive_interval: integer(1, 3600).default(10),
      peer_timeout: integer(2, 86400).default(35),
      clamp_mss: flag().default(true),
    }),
    logging: section({
      level: oneOf(LOG_LEVELS, "a log level", { warn: "warning" }).default("info"),
      file: outputPath(baseDir).optional(),
      format: oneOf(LOG_FORMATS, "a log format").default("text"),
    }),
    monitoring: section({
      enabled: flag().default(false),
      address: ipAddress().default("127.0.0.1"),
      port: port().default(9090),
    }),
    security: section({
      // Whom to become once set up; main.ts decides the default (nobody when started as root).
      user: accountName("user").optional(),
      group: accountName("group").optional(),
      handshake_timeout: integer(1, 300).default(10),
      max_pending_connections: integer(1, 65536).default(512),
      max_pending_per_source: integer(1, 65536).default(8),
      tls: section({
        enabled: alwaysOn(
          "SSSonector never carries traffic in clear; remove the key or set it to true",
        ).default(true),
        min_version: tlsVersion().default("1.2"),
        cert_file: filePath(baseDir),
        key_file: filePath(baseDir),
        ca_file: filePath(baseDir),
        crl_file: filePath(baseDir).optional(),
      }),
    }),
  });
}

export type FileSchema = ReturnType<typeof fileSchema>;
export type FileValues = z.output<FileSchema>;
