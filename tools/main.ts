/**
 * Entry point of the development tools: the demo and the benchmark, on top of the namespace lab
 * (tools/lab/). `./sssonector demo|bench` and `deno task demo|bench` run this file; it is never
 * shipped (build.ts compiles src/main.ts, and nothing in src/ imports tools/).
 *
 * Exit codes as the product's: 0 success, 1 failure, 2 usage error.
 */
import { UsageError } from "../src/cli/errors.ts";
import { runBench } from "./bench/bench.ts";
import { parseToolCommandLine, type ToolCommand, toolUsageText } from "./cli.ts";
import { runDemo } from "./demo/demo.ts";
import { runSoak } from "./bench/soak.ts";
import { runFleetBench } from "./bench/fleet.ts";
import { runWanBench } from "./bench/wan_bench.ts";
import { runWanRounds } from "./bench/wan_rounds.ts";
import { runSessionsBench } from "./bench/sessions_bench.ts";
import { runFootprint } from "./bench/footprint.ts";

async function main(argv: readonly string[]): Promise<number> {
  let command: ToolCommand;
  try {
    command = parseToolCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sssonector: ${error.message}\nRun './sssonector demo --help' for usage.`);
      return error.exitCode;
    }
    throw error;
  }
  switch (command.kind) {
    case "help":
      console.log(toolUsageText());
      return 0;
    case "demo":
      return await runDemo();
    case "bench":
      if (command.wan && command.rounds !== undefined) {
        return await runWanRounds({ rounds: command.rounds, seconds: command.quick ? 5 : 8 });
      }
      if (command.wan) return await runWanBench(command);
      if (command.footprint) return await runFootprint();
      if (command.sessions !== undefined) {
        return await runSessionsBench({ quick: command.quick, sessions: command.sessions });
      }
      return command.fleet ? await runFleetBench(command) : await runBench(command);
    case "soak":
      return await runSoak(command.minutes);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
