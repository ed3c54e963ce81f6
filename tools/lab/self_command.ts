import { CODE_CACHE_FLAG, v8FlagsArgument } from "../../src/runtime/v8_flags.ts";

/**
 * The command line that starts the product (src/main.ts) as a real process, for the demo, the
 * benchmark and the end-to-end tests, which run a server and a client: the checkout launcher when
 * we were started by it (it builds the TUN shim), else `deno run` with the shared permission set.
 */
export function selfCommand(): string[] {
  const launcher = Deno.env.get("SSSONECTOR_LAUNCHER");
  if (launcher) return [launcher];
  const config = new URL("../../deno.json", import.meta.url);
  const main = new URL("../../src/main.ts", import.meta.url);
  return [
    Deno.execPath(),
    "run",
    "-P",
    "--quiet",
    CODE_CACHE_FLAG,
    v8FlagsArgument(),
    "--config",
    config.pathname,
    main.pathname,
  ];
}
