import { NetnsLab, type NetnsLabOptions } from "./netns_lab.ts";
import { cleanUpOnSignal } from "./signal_cleanup.ts";

/** A temporary folder, and the lab once created, that withLabWorkspace removes again. */
export interface LabWorkspace {
  readonly workDir: string;
  /** Creates the two-host lab; it is removed with the workspace. */
  createLab(tag: string, options?: NetnsLabOptions): Promise<NetnsLab>;
}

/**
 * Runs `body` with a fresh temporary folder and a lab it may create, and removes both afterwards:
 * on return, on failure, and on Ctrl-C or SIGTERM (tools/lab/signal_cleanup.ts; the process then
 * exits with 130 or 143).
 */
export async function withLabWorkspace<T>(
  prefix: string,
  say: (line: string) => void,
  body: (workspace: LabWorkspace) => Promise<T>,
): Promise<T> {
  const workDir = await Deno.makeTempDir({ prefix });
  let lab: NetnsLab | undefined;
  // One clean-up, however many ask for it: a signal's and the body's end both wait for it to
  // finish (the body ending first must not let the process exit with the namespaces half gone).
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    cleaning ??= (async () => {
      await lab?.[Symbol.asyncDispose]();
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
    })();
  using _interrupt = cleanUpOnSignal(() => {
    say("\n==> interrupted: cleaning up");
    return cleanup();
  });
  try {
    return await body({
      workDir,
      createLab: async (tag, options) => (lab = await NetnsLab.create(tag, options)),
    });
  } finally {
    say("==> cleaning up namespaces, processes and temporary files");
    await cleanup();
  }
}
