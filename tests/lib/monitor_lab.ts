/** Monitoring in the namespace lab: the port the tests use and how to turn it on. */

export const MONITOR_PORT = 9090;

/** Turns monitoring on in a lab configuration file. */
export async function enableMonitoring(configPath: string, address = "127.0.0.1"): Promise<void> {
  await Deno.writeTextFile(
    configPath,
    `monitoring:\n  enabled: true\n  address: ${address}\n  port: ${MONITOR_PORT}\n`,
    { append: true },
  );
}
