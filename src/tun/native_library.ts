import { type TunLibrary, tunSymbols } from "./ffi.ts";

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

let loaded: TunLibrary | undefined;

/** Opens the shim once per process, on first use (never at import time). */
export function loadTunLibrary(): TunLibrary {
  if (loaded) return loaded;
  const candidates = tunLibraryCandidates();
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      loaded = Deno.dlopen(path, tunSymbols);
      return loaded;
    } catch (error) {
      errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new NativeLibraryError(
    `cannot load the TUN shim ${LIBRARY_FILE} (${errors.join("; ")}); ` +
      "run through ./sssonector, which builds it, or set SSSONECTOR_TUN_LIB",
  );
}
