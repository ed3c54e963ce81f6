/**
 * What each thread of a process runs as, from /proc/PID/task/TID/status. Linux keeps credentials,
 * capabilities, NoNewPrivs and seccomp per thread, so a process is only as unprivileged as its
 * most privileged thread: read them all.
 */

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
