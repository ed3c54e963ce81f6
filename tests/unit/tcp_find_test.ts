/**
 * native/tcp_socket.c's sss_tcp_find, which remembers what it learnt about each descriptor: with
 * hundreds of connections open, closed and opened again on the same descriptor numbers, each one
 * is found on the descriptor the kernel says holds it (/proc/self/net/tcp and /proc/self/fd are
 * the independent witness), and a closed one is not found.
 */
import assert from "node:assert/strict";
import { loadNativeLibrary } from "../../src/native/library.ts";

const lib = loadNativeLibrary();
const LOOPBACK = Uint8Array.of(127, 0, 0, 1);
const ENOENT = 2;

interface Pair {
  client: Deno.TcpConn;
  server: Deno.TcpConn;
}

function find(local: Deno.NetAddr, remote: Deno.NetAddr, hint = -1): number {
  return lib.symbols.sss_tcp_find(hint, LOOPBACK, 4, local.port, LOOPBACK, 4, remote.port);
}

/** The kernel's view: "localPort-remotePort" of every loopback TCP connection, to its inode. */
async function inodesByPorts(): Promise<Map<string, string>> {
  const table = await Deno.readTextFile("/proc/self/net/tcp");
  const byPorts = new Map<string, string>();
  for (const line of table.trim().split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, remote, inode] = [fields[1]!, fields[2]!, fields[9]!];
    const port = (endpoint: string) => parseInt(endpoint.split(":")[1]!, 16);
    byPorts.set(`${port(local)}-${port(remote)}`, inode);
  }
  return byPorts;
}

async function inodeOfDescriptor(fd: number): Promise<string | undefined> {
  const link = await Deno.readLink(`/proc/self/fd/${fd}`).catch(() => undefined);
  return /^socket:\[(\d+)\]$/.exec(link ?? "")?.[1];
}

async function openPairs(listener: Deno.TcpListener, count: number): Promise<Pair[]> {
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const [client, server] = await Promise.all([
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      listener.accept(),
    ]);
    pairs.push({ client, server });
  }
  return pairs;
}

/** Both ends of every pair are found, each on the descriptor that holds that connection. */
async function assertFound(pairs: readonly Pair[]): Promise<void> {
  const kernel = await inodesByPorts();
  const seen = new Set<number>();
  for (const { client, server } of pairs) {
    for (const conn of [client, server]) {
      const local = conn.localAddr as Deno.NetAddr;
      const remote = conn.remoteAddr as Deno.NetAddr;
      const fd = find(local, remote);
      assert.ok(fd >= 0, `${local.port}-${remote.port} not found (${fd})`);
      assert.ok(!seen.has(fd), `descriptor ${fd} returned for two connections`);
      seen.add(fd);
      assert.equal(
        await inodeOfDescriptor(fd),
        kernel.get(`${local.port}-${remote.port}`),
        `descriptor ${fd} holds another socket than ${local.port}-${remote.port}`,
      );
      assert.equal(find(local, remote, fd), fd, "the hint is taken when it is the socket");
    }
  }
}

Deno.test("sss_tcp_find finds every connection on its own descriptor through closes and reuse", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let pairs = await openPairs(listener, 150);
  try {
    await assertFound(pairs);
    for (let round = 0; round < 3; round++) {
      // Every other pair closed: their descriptor numbers are the next ones the kernel hands out.
      const closed = pairs.filter((_, i) => i % 2 === round % 2);
      pairs = pairs.filter((_, i) => i % 2 !== round % 2);
      const gone = closed.map(({ client }) => ({
        local: client.localAddr as Deno.NetAddr,
        remote: client.remoteAddr as Deno.NetAddr,
      }));
      for (const { client, server } of closed) {
        client.close();
        server.close();
      }
      for (const { local, remote } of gone) assert.equal(find(local, remote), -ENOENT);
      pairs.push(...await openPairs(listener, closed.length + 10));
      await assertFound(pairs);
    }
  } finally {
    for (const { client, server } of pairs) {
      client.close();
      server.close();
    }
    listener.close();
  }
});
