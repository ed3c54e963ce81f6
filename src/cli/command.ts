import type { GenerateCertsOptions } from "../pki/types.ts";

/** What the command line asks for; produced by parseCommandLine() in ./args.ts. */
export type Command =
  | { readonly kind: "run"; readonly configPath: string }
  | { readonly kind: "check-config"; readonly configPath: string }
  | { readonly kind: "generate-certs"; readonly options: GenerateCertsOptions }
  | { readonly kind: "version" }
  | { readonly kind: "help" };
