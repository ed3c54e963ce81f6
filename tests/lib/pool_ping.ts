/**
 * A ping that runs through a failover: iputils `ping -i 0.05` in a namespace, its replies
 * counted as they arrive, and the outage read from the sequence numbers (the longest run of
 * unanswered requests times the interval), so the figure does not depend on how busy this
 * machine is when it reads the lines.
 */

import { stopChild } from "../../tools/lab/netns_lab.ts";

export interface Outage {
  /** Requests sent (the highest sequence number seen plus one, at least). */
  readonly sent: number;
  readonly received: number;
  /** The longest run of unanswered requests, in ms (requests times the interval). */
  readonly longestMs: number;
  /** Every unanswered request, in ms. */
  readonly lostMs: number;
}

/** The outage in a list of answered sequence numbers of requests sent every `intervalMs`. */
export function outageOf(answered: readonly number[], sent: number, intervalMs: number): Outage {
  const seqs = [...new Set(answered)].sort((a, b) => a - b);
  let longest = 0;
  let previous = -1;
  for (const seq of seqs) {
    longest = Math.max(longest, seq - previous - 1);
    previous = seq;
  }
  const total = Math.max(sent, previous + 1);
  return {
    sent: total,
    received: seqs.length,
    longestMs: longest * intervalMs,
    lostMs: (total - seqs.length) * intervalMs,
  };
}

export class ContinuousPing {
  readonly intervalMs: number;
  #child: Deno.ChildProcess;
  #answered: number[] = [];
  #highest = -1;
  #reading: Promise<void>;

  private constructor(child: Deno.ChildProcess, intervalMs: number) {
    this.#child = child;
    this.intervalMs = intervalMs;
    this.#reading = (async () => {
      let pending = "";
      for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += text;
        let newline;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          const seq = /icmp_seq=(\d+)/.exec(line);
          if (!seq) continue;
          const n = Number(seq[1]);
          this.#highest = Math.max(this.#highest, n);
          if (/bytes from/.test(line)) this.#answered.push(n);
        }
      }
    })();
  }

  /** Starts `ping -i interval to` in namespace `ns` (root: intervals below 200 ms). */
  static start(ns: string, to: string, intervalMs = 50): ContinuousPing {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, "ping", "-n", "-i", String(intervalMs / 1000), "-W", "1", to],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    return new ContinuousPing(child, intervalMs);
  }

  /** Replies so far. */
  get received(): number {
    return this.#answered.length;
  }

  /** Stops the ping and returns the outage it saw. */
  async stop(): Promise<Outage> {
    await stopChild(this.#child, 1000);
    await this.#reading.catch(() => {});
    // The first request iputils numbers 1; requests before it do not exist.
    return outageOf(this.#answered.map((n) => n - 1), this.#highest, this.intervalMs);
  }
}
