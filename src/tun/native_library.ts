import { type TunLibrary, tunSymbols } from "./ffi.ts";
import { errorMessage } from "../base/error_message.ts";

/** The native shim could not be found or loaded. */
export class NativeLibraryError extends Error {
  override name = "NativeLibraryError";
}

const LIBRARY_FILE = "libsssonector_tun.so";

/**
 * Where the shim is: $SSSONECTOR_TUN_LIB (set by the ./sssonector launcher), else beside the
 * executable (how build.ts ships it), else the checkout's .build folder.
 */
export function tunLibraryCandidates(): string[] {
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
function loadEmbedded(): TunLibrary | undefined {
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
    return Deno.dlopen(path, tunSymbols);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/**
 * Opens the shim (never at import time, and nothing is cached here): the caller keeps the value,
 * passes it to what needs it (TunDevice.open, OffloadConverter, dropPrivileges) and may close it
 * when done. Opening it twice is harmless (dlopen maps the library once) but wasteful: open it
 * once per process, where the process starts.
 */
export function loadTunLibrary(): TunLibrary {
  const errors: string[] = [];
  for (const path of tunLibraryCandidates()) {
    try {
      return Deno.dlopen(path, tunSymbols);
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
