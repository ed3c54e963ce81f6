/**
 * Run mode: load and check the file and its certificates, start the tunnel with the edges it
 * takes (TUN device, TLS listener or dialer, CRL, counters), drop privileges, then wait for a
 * stop. With main.ts, the only modules that print and exit; exit codes as main.ts says.
 *
 * @module
 */
import type { RunOptions } from "./cli/command.ts";
import { modeProblem, withRunOptions } from "./cli/run_options.ts";
import { swappedTlsFiles } from "./cli/tls_file_check.ts";
import type { TunnelClient } from "./client/client.ts";
import type { Config } from "./config/types.ts";
import { ConfigError } from "./config/errors.ts";
import { loadConfig } from "./config/load.ts";
import { getLogger, setupLogging } from "./log/setup.ts";
import type { Logger } from "@logtape/logtape";
import {
  CertificateSetError,
  CertificateStore,
  describeExpiring,
  inLastThird,
} from "./pki/certificate_store.ts";
import type { TunnelServer } from "./server/server.ts";
import { buildCommit, VERSION } from "./base/version.ts";
import { errorMessage } from "./base/error_message.ts";
import { CounterRegistry } from "./counters/registry.ts";
import { Reloader } from "./reload.ts";
import { watchCertificateFiles } from "./pki/cert_watch.ts";
import { startCrlFetcher } from "./pki/crl_fetch.ts";
import type { Monitor } from "./monitor/monitor.ts";
import { MonitorSource } from "./monitor/source.ts";
import { firstSignal, onSignal } from "./runtime/signals.ts";
import process from "node:process";
import { Notifier } from "./runtime/notify.ts";
import { keepServiceManagerTold, serviceStatusLine } from "./monitor/service_status.ts";
import { type ProcessShim, processShim } from "./native/process.ts";
import { memoryShim } from "./native/memory.ts";
import { reclaimAfterFlood } from "./runtime/reclaim.ts";
import { applyLeastPrivilege } from "./privilege/apply.ts";
import { PrivilegeError } from "./privilege/errors.ts";
import { netAdminReason } from "./privilege/net_admin.ts";
import { runAccountProblem } from "./privilege/apply.ts";
import { shareLogFile } from "./privilege/log_file.ts";
import { PidFile } from "./runtime/pid_file.ts";
import { applyRuntimePermissions } from "./privilege/runtime_permissions.ts";
import { loadNativeLibrary } from "./native/library.ts";
import type { NativeLibrary } from "./native/symbols.ts";
import { openTunFor } from "./tun/from_config.ts";
import { readForwarding } from "./tun/forwarding.ts";
import { SettingsReload } from "./tunnel/config_changes.ts";
import { tlsClientTransport, tlsServerTransport } from "./tunnel/tls_edges.ts";
import { carrierPolicy } from "./transport/congestion_control.ts";
import { HttpProxy } from "./transport/http_proxy.ts";

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/**
 * Certificates (and the CRL) closer than this to their end get a warning at start, when they are
 * also in the last third of their validity (a lab's one-day certificate is not "expiring").
 */
const EXPIRY_WARNING_DAYS = 30;

export function fail(message: string): void {
  console.error(`sssonector: ${message}`);
}

/**
 * A fatal error of a run: once into the log file and once on stderr; without a log file the log
 * is standard output, on the same terminal, so the line goes to stderr only (said once).
 */
function fatal(log: Logger, logFile: string | undefined, message: string): void {
  if (logFile !== undefined) log.error("cannot start: {message}", { message });
  fail(message);
}

/** A configuration and the certificate set it names, loaded and checked. */
interface Checked {
  readonly config: Config;
  readonly certificates: CertificateStore;
}

/** Loads the file; prints every problem and returns undefined. */
export async function loadFile(path: string, options: RunOptions): Promise<Config | undefined> {
  let config: Config;
  try {
    config = await loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.format());
      return undefined;
    }
    throw error;
  }
  const mode = modeProblem(options, config);
  if (mode !== undefined) {
    fail(mode);
    return undefined;
  }
  return config;
}

/** Loads the file and its certificates; prints every problem and returns undefined. */
export async function loadChecked(path: string, options: RunOptions): Promise<Checked | undefined> {
  const config = await loadFile(path, options);
  if (config === undefined) return undefined;
  const swapped = await swappedTlsFiles(config.security.tls);
  if (swapped !== undefined) {
    console.error(`${config.sourcePath}: ${swapped}`);
    return undefined;
  }
  // The account to run as after setup must exist: a typo is found here, not once tun0 is up.
  const account = await runAccountProblem(config.security, Deno.uid() ?? -1, {
    keyFile: config.security.tls.keyFile,
  });
  if (account !== undefined) {
    console.error(`${config.sourcePath}: ${account}`);
    return undefined;
  }
  try {
    const certificates = await CertificateStore.load(config.security.tls, config.mode);
    return { config, certificates };
  } catch (error) {
    if (error instanceof CertificateSetError) {
      for (const problem of error.problems) console.error(`${config.sourcePath}: ${problem}`);
      return undefined;
    }
    throw error;
  }
}

/** Warns about each certificate, CA or CRL near its end (in the last third of its life). */
function warnExpiring(certificates: CertificateStore, log: Logger): void {
  const now = new Date();
  for (const item of certificates.expiringWithin(EXPIRY_WARNING_DAYS, now)) {
    if (!inLastThird(item, now)) continue;
    const advice = item.kind === "crl"
      ? "refresh it with --refresh-crl"
      : item.kind === "ca"
      ? "make a new CA with --generate-certs --new-ca and re-issue before then"
      : "renew it with --renew";
    log.warn("{item}; {advice}", { item: describeExpiring(item, now), advice });
  }
}

export async function runTunnel(path: string, options: RunOptions): Promise<number> {
  const checked = await loadChecked(path, options);
  if (!checked) return EXIT_USAGE;
  const { config, certificates } = checked;
  // Every counter of this process, shared by the tunnel, the logs and (later) the monitor.
  const counters = new CounterRegistry();
  const loggingConfig = withRunOptions(config.logging, options);
  await using logging = await setupLogging(loggingConfig, counters.process.log);
  const log = getLogger(config.mode);
  // A bug in a callback must be logged, not take every session down with the process.
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    log.error("unexpected error: {error}", { error: String(event.reason?.stack ?? event.reason) });
  });
  log.info("sssonector {version} starting in {mode} mode from {file}", {
    version: VERSION,
    mode: config.mode,
    file: config.sourcePath,
  });
  if (options.debug) log.debug("debug logging on (-debug), whatever logging.level says");
  // At start and once a day: a tunnel that runs for months must say so before a certificate ends.
  warnExpiring(certificates, log);
  const expiryTimer = setInterval(() => warnExpiring(certificates, log), 24 * 3600 * 1000);
  Deno.unrefTimer(expiryTimer as unknown as number);
  using _expiry = { [Symbol.dispose]: () => clearInterval(expiryTimer) };
  const source = new MonitorSource({ mode: config.mode, counters, certificates });
  // The shim, loaded once: its process functions here, the device, the carrier sockets and the
  // privilege drop below. Without it the start fails below, once the notifier can say so.
  let native: NativeLibrary | undefined;
  let nativeError: unknown;
  try {
    native = loadNativeLibrary();
  } catch (error) {
    nativeError = error;
  }
  const shim = native && processShim(native);
  using notifier = Notifier.fromEnvironment(shim, (message) => log.warn("{message}", { message }));
  // SIGHUP: log file, certificates and configuration again (see reload.ts); never ends
  // the process, also while the tunnel is still starting.
  let reloadTold = false;
  let tunnel: TunnelServer | TunnelClient | undefined;
  let server: TunnelServer | undefined;
  // The live part of a reloaded configuration goes to the server, once it runs.
  const settings = new SettingsReload(config, {
    load: loadConfig,
    apply: (next) =>
      server !== undefined && next.mode === "server" ? server.applyConfig(next) : undefined,
  });
  const reloader = new Reloader({
    certificates,
    logging,
    settings,
    log: getLogger("reload"),
    counters: counters.process.reloads,
    // Told as a reload only once the tunnel was ready (READY=1 ends systemd's reloading state);
    // a HUP during the start reloads without a word to systemd.
    onStart: () => {
      reloadTold = source.readiness().ready;
      if (reloadTold) notifier.reloading();
    },
    onDone: () => {
      if (reloadTold) notifier.ready(serviceStatusLine(source));
    },
  });
  using _hup = onSignal("SIGHUP", () => void reloader.request());
  using _watch = watchCertificateFiles(config.security.tls, certificates, getLogger("reload"));
  // Bound before the tunnel starts: a busy port stops the start early, and the port is bound
  // while the process still has the privileges it starts with.
  let monitor: Monitor | undefined;
  if (config.monitoring.enabled) {
    // Loaded only when enabled (as each mode's code below): prom-client and the HTTP server
    // cost a process without monitoring megabytes of memory (docs/performance.md). Loaded
    // before the permissions are revoked, as every module is.
    const [{ Monitor }, { MonitorBindError }] = await Promise.all([
      import("./monitor/monitor.ts"),
      import("./monitor/http_server.ts"),
    ]);
    try {
      monitor = startMonitor(Monitor, config, source, shim);
    } catch (error) {
      if (!(error instanceof MonitorBindError)) throw error;
      const message = `${config.sourcePath}: monitoring (address ${config.monitoring.address}, ` +
        `port ${config.monitoring.port}): ${error.message}; choose another monitoring.port or ` +
        "set monitoring.enabled: false";
      fatal(log, config.logging.file, message);
      return EXIT_RUNTIME;
    }
  }
  await using _monitor = monitor;
  // Deno refuses /proc/self/limits without --allow-all; the shim reads the limit instead.
  const fileLimit = shim?.maxFds();
  // Listened for before the tunnel starts: a stop requested while it starts (e.g. while the
  // first dial hangs) is honoured once it has, with the same clean shutdown.
  const stopRequested = firstSignal(["SIGINT", "SIGTERM"]);
  let library: NativeLibrary;
  try {
    if (native === undefined) throw nativeError;
    library = native;
    // The edges each mode works with: the TUN device, the network, the CRL and the counters.
    const device = openTunFor(config, library);
    // Carrier sockets: the congestion control (one line says which), unsent bytes, TCP_INFO.
    const carrier = carrierPolicy(
      library,
      config.network.congestionControl,
      (level, line) => level === "info" ? log.info(line) : log.warn(line),
    );
    const edges = { device, revocations: certificates, counters, logger: log, carrier };
    tunnel = config.mode === "server"
      ? server = await (await import("./server/server.ts")).TunnelServer.start(config, {
        ...edges,
        transport: tlsServerTransport(config.listen, certificates, {
          proxyProtocol: config.proxyProtocol,
          reclaimMemory: reclaimAfterFlood(memoryShim(library)),
        }),
        forwarding: readForwarding(library),
      }, { fileLimit })
      : (await import("./client/client.ts")).TunnelClient.start(config, {
        ...edges,
        // An HTTP proxy's credentials are read here, before the privilege drop.
        transport: tlsClientTransport(
          certificates,
          config.proxy ? HttpProxy.load(config.proxy) : undefined,
        ),
      });
  } catch (error) {
    fatal(log, config.logging.file, errorMessage(error));
    return EXIT_RUNTIME;
  }
  // The pid file, for logrotate's and cron's kill -HUP; removed at exit.
  let pidFile: PidFile | undefined;
  if (config.pidFile !== undefined) {
    try {
      pidFile = await PidFile.write(
        config.pidFile,
        Deno.pid,
        (message) => log.warn("{message}", { message }),
      );
    } catch (error) {
      const message = errorMessage(error);
      log.error("cannot start: {message}", { message });
      fail(message);
      await tunnel.stop();
      return EXIT_RUNTIME;
    }
  }
  await using _pidFile = pidFile;
  // Set up: TUN open, port bound (server), log open, certificates loaded. Root is no longer needed.
  try {
    const keepNetAdmin = netAdminReason(config);
    await applyLeastPrivilege(library, config.security, log, {
      // The log file becomes the run group's (0660 root:GROUP), so SIGHUP can reopen it after
      // the drop and root can open it at the next start.
      beforeDrop: async (account) => {
        if (config.logging.file !== undefined) await shareLogFile(config.logging.file, account);
      },
      ...(keepNetAdmin === undefined ? {} : { keepNetAdmin }),
    });
    const revoked = await applyRuntimePermissions(config.mode, library);
    // npm code may still read process.env (yaml reads LOG_TOKENS on every parse, so a SIGHUP's
    // configuration reload): without env access it sees an empty environment, not an error.
    Object.defineProperty(process, "env", { value: Object.freeze({}), enumerable: true });
    log.info("Deno permissions revoked after setup: {names}", { names: revoked.join(", ") });
  } catch (error) {
    if (!(error instanceof PrivilegeError)) throw error;
    fatal(log, config.logging.file, error.message);
    await tunnel.stop();
    return EXIT_RUNTIME;
  }
  source.attach(tunnel);
  // One CRL for the fleet (security.tls.crl_urls): fetched, checked and applied at an interval.
  await using _crl = startCrlFetcher(
    config.security.tls,
    certificates,
    getLogger("crl"),
    counters.process.crl,
  );
  using _status = notifier.enabled ? keepServiceManagerTold(notifier, source) : undefined;
  const ended = await Promise.race([
    stopRequested,
    server !== undefined ? server.lost.then((lost) => ({ lost })) : new Promise<never>(() => {}),
  ]);
  if (typeof ended !== "string") {
    // Exit with a failure: the service manager (Restart=on-failure) starts a listener again.
    log.error("{lost}; exiting so that the service manager starts SSSonector again", ended);
    source.stopping();
    notifier.stopping();
    await tunnel.stop();
    return EXIT_RUNTIME;
  }
  const signal = ended;
  log.info("received {signal}; shutting down", { signal });
  source.stopping();
  notifier.stopping();
  await tunnel.stop();
  log.info("stopped");
  return EXIT_OK;
}

function startMonitor(
  monitorClass: typeof Monitor,
  config: Config,
  source: MonitorSource,
  shim: ProcessShim | undefined,
): Monitor {
  const log = getLogger("monitor");
  const commit = buildCommit();
  const monitor = monitorClass.start(config.monitoring, source, {
    build: {
      version: VERSION,
      deno: Deno.version.deno,
      ...(commit === "unknown" ? {} : { commit }),
    },
    onError: (message) => log.warn("{message}", { message }),
    ...(shim === undefined ? {} : { processFacts: shim }),
  });
  const { address } = config.monitoring;
  log.info("monitoring on http://{host}:{port}/ (/metrics, /healthz, /readyz)", {
    host: address.includes(":") ? `[${address}]` : address,
    port: monitor.port,
  });
  return monitor;
}
