/**
 * A server's monitor over a counter registry the test fills with session views, for the tests of
 * /metrics, /status.json and the per-session series (carrier health, AQM, sparse lanes): the
 * monitor over HTTP, one sample read from the exposition text, and what promtool says of it.
 */
import { CounterRegistry } from "../../src/counters/registry.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { Monitor, type MonitorOptions } from "../../src/monitor/monitor.ts";
import { MonitorSource } from "../../src/monitor/source.ts";
import { TempCertificates } from "./e2e_lab.ts";
import { serverTlsConfig } from "./pki_fixtures.ts";

export interface SessionMonitor extends AsyncDisposable {
  readonly counters: CounterRegistry;
  readonly source: MonitorSource;
  /** The server's own certificate set (a new CA for 198.18.0.1). */
  readonly certificates: CertificateStore;
  get(path: string): Promise<Response>;
}

/**
 * A server monitor (build 9.9.9, commit abc123) on a free loopback port, its source not attached
 * yet, so /readyz says "starting"; `sampling` sets the history's interval and capacity. Disposal
 * closes it and removes its certificates.
 */
export async function startServerMonitor(
  sampling: Pick<MonitorOptions, "sampleIntervalMs" | "historyCapacity"> = {},
): Promise<SessionMonitor> {
  const temp = await TempCertificates.create();
  let certificates: CertificateStore;
  try {
    certificates = await CertificateStore.load(
      serverTlsConfig(temp.certDir, { minVersion: "1.2" }),
      "server",
    );
  } catch (error) {
    await temp[Symbol.asyncDispose]();
    throw error;
  }
  const counters = new CounterRegistry();
  const source = new MonitorSource({ mode: "server", counters, certificates });
  const monitor = Monitor.start({ address: "127.0.0.1", port: 0 }, source, {
    build: { version: "9.9.9", deno: Deno.version.deno, commit: "abc123" },
    ...sampling,
  });
  return {
    counters,
    source,
    certificates,
    get: (path) => fetch(`http://127.0.0.1:${monitor.port}${path}`),
    async [Symbol.asyncDispose]() {
      await monitor.close();
      await temp[Symbol.asyncDispose]();
    },
  };
}

/** A server monitor as {@linkcode startServerMonitor}'s, attached: ready, offload on, no clamping. */
export async function startSessionMonitor(): Promise<SessionMonitor> {
  const monitor = await startServerMonitor();
  monitor.source.attach({
    offload: true,
    readiness: () => ({ ready: true, reason: "listening" }),
    mssClamped: () => ({ read: 0, written: 0 }),
  });
  return monitor;
}

/** The value of one series (name and labels as written) in an exposition text. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Whether the promtool command is installed. */
export async function promtoolInstalled(): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", "command -v promtool"] }).output()).success;
}

/**
 * `promtool check metrics` of an exposition text: its exit code and all it wrote (stdout, then
 * stderr); undefined when promtool is not installed.
 */
export async function promtoolCheck(
  text: string,
): Promise<{ code: number; report: string } | undefined> {
  if (!(await promtoolInstalled())) return undefined;
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, report };
}

/** promtool's complaints about the lines matching `about` ("" also when promtool is absent). */
export async function promtoolComplaints(text: string, about: RegExp): Promise<string> {
  const checked = await promtoolCheck(text);
  if (checked === undefined) return "";
  return checked.report.split("\n").filter((l) => about.test(l)).join("\n");
}
