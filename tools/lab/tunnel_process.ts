import type { LabHost, NetnsLab } from "./netns_lab.ts";
import { LabError } from "./netns_lab.ts";
import { selfCommand } from "./self_command.ts";

/** Whatever started a process and knows how to stop it: a NetnsLab, a FleetLab. */
export interface ProcessStopper {
  stop(child: Deno.ChildProcess, graceMs?: number): Promise<Deno.CommandStatus>;
}

/** A server or client process of ours, running in a lab namespace. */
export class TunnelProcess {
  readonly child: Deno.ChildProcess;
  readonly logPath: string;
  #lab: ProcessStopper;
  #stderr: Promise<string>;

  constructor(lab: ProcessStopper, child: Deno.ChildProcess, logPath: string) {
    this.#lab = lab;
    this.child = child;
    this.logPath = logPath;
    this.#stderr = new Response(child.stderr).text().catch(() => "");
  }

  /** Starts `sssonector -config FILE` in the host's namespace. */
  static start(lab: NetnsLab, host: LabHost, configPath: string, logPath: string): TunnelProcess {
    const [cmd, ...args] = selfCommand();
    const child = lab.spawn(host, cmd!, [...args, "-config", configPath], { stderr: "piped" });
    return new TunnelProcess(lab, child, logPath);
  }

  async log(): Promise<string> {
    try {
      return await Deno.readTextFile(this.logPath);
    } catch {
      return "";
    }
  }

  /** What the process wrote to stderr; complete once it has exited. */
  stderr(): Promise<string> {
    return this.#stderr;
  }

  /** Polls the log until `pattern` appears; throws with the log and stderr if the process dies. */
  async waitForLog(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    let exited: Deno.CommandStatus | undefined;
    this.child.status.then((status) => (exited = status));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const text = await this.log();
      const match = pattern.exec(text);
      if (match) return match[0];
      if (exited) {
        throw new LabError(
          `process exited with code ${exited.code} before logging ${pattern}: ` +
            `${(await this.stderr()).trim()}\n${text}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new LabError(
      `timed out after ${timeoutMs} ms waiting for ${pattern} in ${this.logPath}:\n${await this
        .log()}`,
    );
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs = 5000): Promise<Deno.CommandStatus> {
    return this.#lab.stop(this.child, graceMs);
  }
}
