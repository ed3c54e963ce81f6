/**
 * The process tests/e2e/lab_signal_test.ts stops with a signal: builds an E2eLab (tag "td") with
 * an extra host and a long `sleep` in the server namespace, prints one JSON line (the lab's
 * namespaces, folder and the sleep's pid), then waits to be told to stop. It never disposes the
 * lab itself: only the lab's signal clean-up can remove what it made.
 *
 *   deno run -A tests/lib/lab_signal_child.ts
 *
 * @module
 */
import { E2eLab } from "./e2e_lab.ts";

const lab = await E2eLab.create("td");
const extra = await lab.addHost();
const sleep = lab.net.spawn(lab.server, "sleep", ["600"]);
console.log(JSON.stringify({
  namespaces: [lab.server.ns, lab.client.ns, extra.ns],
  dir: lab.dir,
  sleepPid: sleep.pid,
}));
// Holds the process open; the signal listeners alone would not.
setInterval(() => {}, 60_000);
