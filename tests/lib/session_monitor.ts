/**
 * A server's monitor over a counter registry the test fills with session views, for the tests of
 * per-session series (carrier health, AQM, sparse lanes): /metrics and /status.json over HTTP, one
 * sample read from the exposition text, and what promtool says of it.
 */
import { CounterRegistry } from "../../src/counters/registry.ts";
import { CertificateStore } from "../../src/pki/certificate_store.ts";
import { Monitor } from "../../src/monitor/monitor.ts";
import { MonitorSource } from "../../src/monitor/source.ts";
import { TempCertificates } from "./e2e_lab.ts";

export interface SessionMonitor extends AsyncDisposable {
  readonly counters: CounterRegistry;
  get(path: string): Promise<Response>;
}

/** A server monitor on a free loopback port; disposal closes it and removes its certificates. */
export async function startSessionMonitor(): Promise<SessionMonitor> {
  const temp = await TempCertificates.create();
  const dir = temp.certDir;
  const certificates = await CertificateStore.load({
    enabled: true,
    minVersion: "1.2",
    certFile: `${dir}/server.crt`,
    keyFile: `${dir}/server.key`,
    caFile: `${dir}/ca.crt`,
  }, "server");
  const counters = new CounterRegistry();
  const source = new MonitorSource({ mode: "server", counters, certificates });
  const monitor = Monitor.start({ address: "127.0.0.1", port: 0 }, source, {
    build: { version: "9.9.9", deno: Deno.version.deno, commit: "abc123" },
  });
  source.attach({
    offload: true,
    readiness: () => ({ ready: true, reason: "listening" }),
    mssClamped: () => ({ read: 0, written: 0 }),
  });
  return {
    counters,
    get: (path) => fetch(`http://127.0.0.1:${monitor.port}${path}`),
    async [Symbol.asyncDispose]() {
      await monitor.close();
      await temp[Symbol.asyncDispose]();
    },
  };
}

/** The value of one series (name and labels as written) in an exposition text. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** promtool's complaints about the lines matching `about` ("" also when promtool is absent). */
export async function promtoolComplaints(text: string, about: RegExp): Promise<string> {
  const promtool = await new Deno.Command("sh", { args: ["-c", "command -v promtool"] }).output();
  if (!promtool.success) return "";
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
  const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return said.split("\n").filter((l) => about.test(l)).join("\n");
}
