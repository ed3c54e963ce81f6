/**
 * Signal handling for main: a listener that can be removed with `using`, so a handler never
 * outlives the part of the program that installed it. While a listener for a signal is installed,
 * the signal's default action (for SIGHUP: ending the process) does not happen.
 *
 * @module
 */

/** Calls `handler` on each `signal` until the returned value is disposed. */
export function onSignal(signal: Deno.Signal, handler: () => void): Disposable {
  Deno.addSignalListener(signal, handler);
  let removed = false;
  return {
    [Symbol.dispose]() {
      if (removed) return;
      removed = true;
      Deno.removeSignalListener(signal, handler);
    },
  };
}

/** Resolves with the first of `signals` that arrives; every listener is removed then. */
export function firstSignal(signals: readonly Deno.Signal[]): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const listeners: Disposable[] = [];
    for (const signal of signals) {
      listeners.push(onSignal(signal, () => {
        for (const listener of listeners) listener[Symbol.dispose]();
        resolve(signal);
      }));
    }
  });
}
