/**
 * What docs/security/promises.md says about memory protections, checked on the binaries that run:
 * the Deno executable is position-independent (so the kernel's ASLR places it anew each start)
 * and neither it nor the native shim asks for an executable stack (NX).
 */
import assert from "node:assert/strict";

const PT_GNU_STACK = 0x6474e551;
const PF_X = 1;
const ET_DYN = 3;

/** The ELF type and whether a PT_GNU_STACK header without PF_X is present (ELF64, little-endian). */
export async function elfFacts(path: string): Promise<{ type: number; stackNotExec: boolean }> {
  using file = await Deno.open(path);
  const head = new Uint8Array(64 * 1024);
  const read = await file.read(head) ?? 0;
  const view = new DataView(head.buffer, 0, read);
  assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${path} is not ELF`);
  assert.equal(head[4], 2, "ELF64");
  assert.equal(head[5], 1, "little-endian");
  const type = view.getUint16(16, true);
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  let stackNotExec = false;
  for (let index = 0; index < phnum; index++) {
    const at = phoff + index * phentsize;
    if (view.getUint32(at, true) === PT_GNU_STACK) {
      stackNotExec = (view.getUint32(at + 4, true) & PF_X) === 0;
    }
  }
  return { type, stackNotExec };
}

Deno.test("the Deno executable is position-independent and has no executable stack", async () => {
  const facts = await elfFacts(Deno.execPath());
  assert.equal(facts.type, ET_DYN, "PIE: ET_DYN");
  assert.ok(facts.stackNotExec, "PT_GNU_STACK without PF_X");
});

Deno.test({
  name: "the native shim asks for no executable stack",
  ignore: Deno.env.get("SSSONECTOR_TUN_LIB") === undefined,
  fn: async () => {
    const facts = await elfFacts(Deno.env.get("SSSONECTOR_TUN_LIB")!);
    assert.equal(facts.type, ET_DYN);
    assert.ok(facts.stackNotExec, "PT_GNU_STACK without PF_X");
  },
});
