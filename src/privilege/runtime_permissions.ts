/**
 * The second wall: Deno's own permission layer, narrowed once the tunnel is set up. deno.json's
 * `permissions.default` (also baked into the compiled binary) already leaves out `run`, and grants
 * `env` and `sys` only for what the program reads; after setup this takes away everything a
 * running tunnel no longer needs, so that code that gets to run inside the process (a bug in a
 * dependency, say) cannot spawn, write files, load native code or read the environment even
 * where the kernel and the run user would allow it.
 *
 * Kept: `net` on the client (it dials the server again, names resolved anew), `read` on both
 * (a SIGHUP reload reads the certificate files again; Deno revokes read only as a whole). The
 * drop to the run user bounds what `read` reaches.
 *
 * @module
 */

import { type ErrnoText, rememberErrnoTexts } from "../native/unwrap.ts";

/** Permissions a running tunnel gives up after setup, by mode. */
export function revokedAfterSetup(_mode: "server" | "client"): Deno.PermissionName[] {
  // ffi last: symbols of the loaded shim still run, but no new library can be loaded and no
  // pointer read; the shim's error texts are read beforehand.
  // write stays: SIGHUP reopens the log file (logrotate), and a revoke of one path under the
  // global grant would not take. net stays on the server too: the monitoring endpoint accepts.
  const common: Deno.PermissionName[] = ["run", "env", "sys"];
  return [...common, "ffi"];
}

/**
 * Revokes {@linkcode revokedAfterSetup} for good. The server's listener keeps accepting (accepted
 * connections need no permission) and both keep the open TUN device and log file.
 *
 * @returns the names revoked, for the log
 */
export async function applyRuntimePermissions(
  mode: "server" | "client",
  lib?: ErrnoText,
): Promise<Deno.PermissionName[]> {
  if (lib) rememberErrnoTexts(lib);
  const names = revokedAfterSetup(mode);
  for (const name of names) await Deno.permissions.revoke({ name });
  return names;
}
