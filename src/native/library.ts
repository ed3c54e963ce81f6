/**
 * The one loader of the native shim (libsssonector_tun.so, built from native/*.c): every part of
 * the program that calls C reaches it through the library this returns, opened with the one
 * symbol table (symbols.ts).
 *
 * @module
 */
import { type NativeLibrary, nativeSymbols } from "./symbols.ts";
import { errorMessage } from "../base/error_message.ts";

/** The native shim could not be found or loaded. */
export class NativeLibraryError extends Error {
  override name = "NativeLibraryError";
}

const LIBRARY_FILE = "libsssonector_tun.so";

/**
 * Where the shim is: $SSSONECTOR_TUN_LIB (set by the ./sssonector launcher and the bundle's entry
 * script), else beside the executable (how build.ts ships it), else the checkout's .build folder.
 */
export function nativeLibraryCandidates(): string[] {
  const fromEnv = Deno.env.get("SSSONECTOR_TUN_LIB");
  if (fromEnv) return [fromEnv];
  const exeDir = Deno.execPath().replace(/\/[^/]*$/, "");
  const checkout = new URL("../../.build/" + LIBRARY_FILE, import.meta.url);
  return [
    `${exeDir}/${LIBRARY_FILE}`,
    ...(checkout.protocol === "file:" ? [decodeURIComponent(checkout.pathname)] : []),
  ];
}

/** The shim embedded by build.ts (`deno compile --include`), for this architecture. */
function embeddedShim(): URL {
  return new URL(`../../.build/${Deno.build.target}/${LIBRARY_FILE}`, import.meta.url);
}

/**
 * dlopen cannot read a compiled executable's embedded files, so the embedded shim is written to a
 * private temporary file (mode 0700 folder), loaded, and the file removed again: the mapping stays.
 */
function loadEmbedded(): NativeLibrary | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(embeddedShim());
  } catch {
    return undefined;
  }
  const dir = Deno.makeTempDirSync({ prefix: "sssonector-" });
  const path = `${dir}/${LIBRARY_FILE}`;
  try {
    Deno.writeFileSync(path, bytes, { mode: 0o500 });
    return Deno.dlopen(path, nativeSymbols);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * Opens the shim (never at import time, and nothing is cached here): the caller keeps the value,
 * passes it to what needs it (the device, the offload converter, the carrier sockets, the
 * privilege drop, the process and memory facades) and may close it when done. Opening it twice is
 * harmless (dlopen maps the library once) but wasteful: open it once per process, where the
 * process starts.
 */
export function loadNativeLibrary(): NativeLibrary {
  const errors: string[] = [];
  for (const path of nativeLibraryCandidates()) {
    try {
      return Deno.dlopen(path, nativeSymbols);
    } catch (error) {
      errors.push(`${path}: ${errorMessage(error)}`);
    }
  }
  const embedded = loadEmbedded();
  if (embedded) return embedded;
  throw new NativeLibraryError(
    `cannot load the TUN shim ${LIBRARY_FILE} (${errors.join("; ")}); ` +
      "run through ./sssonector, which builds it, or set SSSONECTOR_TUN_LIB",
  );
}
