/**
 * Clean-up that also runs when the process is told to stop. A test cut short by `timeout` or
 * Ctrl-C gets SIGTERM or SIGINT, which ends a Deno process at once: `await using` disposal never
 * runs and the lab's namespaces, veths, processes and folders stay behind. A lab registers its
 * clean-up here for as long as it lives; on the first SIGTERM or SIGINT every registered clean-up
 * runs (together, at most CLEANUP_LIMIT_MS), then the process ends by the signal, as it would have
 * without the clean-up (a parent sees exit code 128 + the signal's number).
 *
 * Under `deno test`, SIGINT (Ctrl-C) belongs to the test runner, which ends the run without
 * waiting for listeners: there only SIGTERM (what `timeout` sends) gets the clean-up.
 *
 * The listeners are process-wide by nature (a signal reaches the process, not a lab), so the
 * registry is one per process: it listens only while something is registered, and a process with
 * no lab keeps Deno's default handling of both signals.
 *
 * @module
 */

/** How long the clean-ups may take after a signal before the process exits anyway. */
export const CLEANUP_LIMIT_MS = 15_000;

const SIGNALS = { SIGTERM: 15, SIGINT: 2 } as const;
type Signal = keyof typeof SIGNALS;

const cleanups = new Set<() => Promise<void>>();
const listeners = new Map<Signal, () => void>();
let stopping = false;

/**
 * Runs `cleanup` if SIGTERM or SIGINT comes before the returned handle is disposed (saying so,
 * if it wants, is the cleanup's own business). Dispose the handle when the resource has been
 * cleaned up the ordinary way.
 */
export function cleanUpOnSignal(cleanup: () => Promise<void>): Disposable {
  const entry = () => cleanup();
  cleanups.add(entry);
  if (listeners.size === 0) listen();
  return {
    [Symbol.dispose]() {
      cleanups.delete(entry);
      if (cleanups.size === 0 && !stopping) unlisten();
    },
  };
}

function listen(): void {
  for (const signal of Object.keys(SIGNALS) as Signal[]) {
    const listener = () => void stop(signal);
    Deno.addSignalListener(signal, listener);
    listeners.set(signal, listener);
  }
}

function unlisten(): void {
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  listeners.clear();
}

async function stop(signal: Signal): Promise<void> {
  if (stopping) return;
  stopping = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled([...cleanups].map((cleanup) => cleanup())),
    new Promise((resolve) => (timer = setTimeout(resolve, CLEANUP_LIMIT_MS))),
  ]);
  clearTimeout(timer);
  // The signal again, now with Deno's default handling back: the process ends as the signal
  // would have ended it (under `deno test` too, where Deno.exit() would be reported as a test's
  // error). Should another listener keep it alive, it exits anyway.
  unlisten();
  Deno.kill(Deno.pid, signal);
  setTimeout(() => Deno.exit(128 + SIGNALS[signal]), 1000);
}
