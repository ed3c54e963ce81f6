import assert from "node:assert/strict";
import { loadNativeLibrary } from "../../src/native/library.ts";
import { type ErrnoText, errnoText, NativeError, unwrap } from "../../src/native/unwrap.ts";
import { thrown } from "../lib/thrown.ts";

/** A shim that knows the text of two errnos, as strerror would word them. */
function fakeShim(): ErrnoText & { asked: number[] } {
  const texts = new Map([[2, "No such file or directory"], [13, "Permission denied"]].map(
    ([errno, text]) => [errno as number, new TextEncoder().encode(`${text}\0`)],
  ));
  const asked: number[] = [];
  return {
    asked,
    symbols: {
      sss_strerror(err: number) {
        asked.push(err);
        const text = texts.get(Math.abs(err));
        return text ? Deno.UnsafePointer.of(text) : null;
      },
    },
  };
}

const nativeError = (fn: () => unknown) => thrown(NativeError, fn);

Deno.test("unwrap() returns a non-negative int32 as it is, without asking for any text", () => {
  const shim = fakeShim();
  assert.equal(unwrap(shim, 0, "cannot read"), 0);
  assert.equal(unwrap(shim, 65536, "cannot read"), 65536);
  assert.deepEqual(shim.asked, []);
});

Deno.test("unwrap() turns a negative errno into a NativeError: what failed, a colon, the reason", () => {
  const error = nativeError(() => unwrap(fakeShim(), -13, "cannot read from tun0"));
  assert.equal(error.name, "NativeError");
  assert.equal(error.errno, 13);
  assert.equal(error.message, "cannot read from tun0: permission denied");
});

Deno.test("unwrap() lets a function word the whole message from the errno and its reason", () => {
  const error = nativeError(() =>
    unwrap(fakeShim(), -2, ({ errno, reason }) => `errno ${errno} is "${reason}"; load tun`)
  );
  assert.equal(error.message, 'errno 2 is "no such file or directory"; load tun');
  assert.equal(error.errno, 2);
});

Deno.test("unwrap() passes a non-NULL handle through and reads a NULL handle's errno from err[0]", () => {
  const shim = fakeShim();
  const handle = Deno.UnsafePointer.create(0x1000n);
  assert.equal(unwrap(shim, handle, "cannot open", new Int32Array([0, 0])), handle);

  const denied = nativeError(() => unwrap(shim, null, "cannot open", new Int32Array([-13, 2])));
  assert.deepEqual([denied.errno, denied.message], [13, "cannot open: permission denied"]);

  // The shim always sets err[0]; if it ever did not, the failure still has an errno (EIO).
  const silent = nativeError(() => unwrap(shim, null, "cannot open", new Int32Array([0, 0])));
  assert.deepEqual([silent.errno, silent.message], [5, "cannot open: errno 5"]);
});

Deno.test("errnoText() falls back to the number when the shim has no text for it", () => {
  assert.equal(errnoText(fakeShim(), -99), "errno 99");
  assert.equal(errnoText(fakeShim(), 99), "errno 99");
});

Deno.test("unwrap() words failures with the real shim's strerror", () => {
  const lib = loadNativeLibrary();
  try {
    const error = nativeError(() => unwrap(lib, -1, "cannot set up interface tun0"));
    assert.equal(error.message, "cannot set up interface tun0: operation not permitted");
    assert.equal(errnoText(lib, -2), "no such file or directory");
  } finally {
    lib.close();
  }
});
