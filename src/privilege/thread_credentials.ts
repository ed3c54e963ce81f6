/**
 * What each thread of a process runs as, from /proc/PID/task/TID/status. Linux keeps credentials,
 * capabilities, NoNewPrivs and seccomp per thread, so a process is only as unprivileged as its
 * most privileged thread: read them all.
 */
import type { ThreadStatusSymbols } from "../native/privilege.ts";
import { PrivilegeError } from "./errors.ts";

/** One thread's credentials, as /proc shows them. */
export interface ThreadCredentials {
  readonly tid: number;
  /** The thread's name (`Name:`), e.g. "deno" or "tokio-runtime-w". */
  readonly name: string;
  /** Real, effective, saved and filesystem user ids. */
  readonly uid: readonly [number, number, number, number];
  /** Real, effective, saved and filesystem group ids. */
  readonly gid: readonly [number, number, number, number];
  /** Supplementary group ids. */
  readonly groups: readonly number[];
  /** Effective and permitted capability sets, 16 hex digits as /proc prints them. */
  readonly capEff: string;
  readonly capPrm: string;
  /** Inheritable, bounding and ambient sets, the same way. */
  readonly capInh: string;
  readonly capBnd: string;
  readonly capAmb: string;
  /** 1 when no exec can gain privileges. */
  readonly noNewPrivs: number;
  /** 0 none, 1 strict, 2 filter. */
  readonly seccomp: number;
}

function ids(value: string | undefined, field: string): [number, number, number, number] {
  const parts = (value ?? "").trim().split(/\s+/).map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n))) {
    throw new SyntaxError(`Cannot parse ${field} line of a status file: "${value}"`);
  }
  return parts as [number, number, number, number];
}

/** Parses the text of one /proc/PID/task/TID/status file. */
export function parseThreadStatus(tid: number, text: string): ThreadCredentials {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  const field = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new SyntaxError(`Cannot find ${name} in a status file`);
    return value;
  };
  const groups = field("Groups");
  return {
    tid,
    name: field("Name"),
    uid: ids(field("Uid"), "Uid"),
    gid: ids(field("Gid"), "Gid"),
    groups: groups === "" ? [] : groups.split(/\s+/).map(Number),
    capEff: field("CapEff"),
    capPrm: field("CapPrm"),
    capInh: field("CapInh"),
    capBnd: field("CapBnd"),
    capAmb: field("CapAmb"),
    noNewPrivs: Number(field("NoNewPrivs")),
    seccomp: Number(field("Seccomp")),
  };
}

/**
 * Every thread of process `pid` ("self" for this one). A thread that ends while being read is
 * left out.
 */
export async function readThreadCredentials(
  pid: number | "self" = "self",
): Promise<ThreadCredentials[]> {
  const dir = `/proc/${pid}/task`;
  const threads: ThreadCredentials[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const tid = Number(entry.name);
    let text: string;
    try {
      text = await Deno.readTextFile(`${dir}/${entry.name}/status`);
    } catch (error) {
      // A thread that has just ended: its entry is gone (ENOENT) or no longer readable (ESRCH).
      if (error instanceof Deno.errors.NotFound || (error as { code?: string }).code === "ESRCH") {
        continue;
      }
      throw error;
    }
    threads.push(parseThreadStatus(tid, text));
  }
  return threads.sort((a, b) => a.tid - b.tid);
}

const ENOSPC = 28;
const STATUS_BUFFER_START = 64 * 1024;
const STATUS_BUFFER_MAX = 16 * 1024 * 1024;

/**
 * Every thread of this process, read by the shim (native/privilege.c): Deno's permission layer
 * refuses /proc/self to anything short of --allow-all, and the tunnel runs with less.
 *
 * @throws {PrivilegeError} when the files cannot be read.
 */
export function readOwnThreadCredentials(lib: ThreadStatusSymbols): ThreadCredentials[] {
  const length = new Uint32Array(1);
  for (let size = STATUS_BUFFER_START; size <= STATUS_BUFFER_MAX; size *= 4) {
    const buffer = new Uint8Array(size);
    const rc = lib.symbols.sss_thread_status(buffer, size, length);
    if (rc === -ENOSPC) continue;
    if (rc < 0) {
      throw new PrivilegeError(`cannot read /proc/self/task/*/status: errno ${-rc}`, -rc);
    }
    const texts = new TextDecoder().decode(buffer.subarray(0, length[0]!)).split("\0");
    return texts.filter((text) => text !== "").map((text) => {
      const tid = Number(/^Pid:\s*(\d+)/m.exec(text)?.[1]);
      return parseThreadStatus(tid, text);
    }).sort((a, b) => a.tid - b.tid);
  }
  throw new PrivilegeError("cannot read /proc/self/task/*/status: more than 16 MiB of threads");
}
