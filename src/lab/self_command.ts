import { v8FlagsArgument } from "../runtime/v8_flags.ts";

/**
 * The command line that starts this same program again (for the demo and the benchmark, which
 * run a server and a client as real processes): the checkout launcher when we were started by it,
 * the executable itself when compiled, else `deno run` with the shared permission set.
 */
export function selfCommand(): string[] {
  const launcher = Deno.env.get("SSSONECTOR_LAUNCHER");
  if (launcher) return [launcher];
  const executable = Deno.execPath();
  if (!/\/deno$/.test(executable)) return [executable];
  const config = new URL("../../deno.json", import.meta.url);
  const main = new URL("../main.ts", import.meta.url);
  return [
    executable,
    "run",
    "-P",
    "--quiet",
    v8FlagsArgument(),
    "--config",
    config.pathname,
    main.pathname,
  ];
}
