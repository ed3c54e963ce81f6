import type { GenerateCertsOptions } from "../pki/types.ts";
import type { RenewOptions } from "../pki/renew.ts";
import type { CrlOptions, RevokeOptions } from "../pki/revoke.ts";

/** What the command line asks for; produced by parseCommandLine() in ./args.ts. */
export type Command =
  | { readonly kind: "run"; readonly configPath: string }
  | { readonly kind: "check-config"; readonly configPath: string }
  | { readonly kind: "generate-certs"; readonly options: GenerateCertsOptions }
  | { readonly kind: "renew"; readonly options: RenewOptions }
  | { readonly kind: "list-certs"; readonly certDir: string }
  | { readonly kind: "revoke-cert"; readonly options: RevokeOptions }
  | { readonly kind: "refresh-crl"; readonly options: CrlOptions }
  | { readonly kind: "version" }
  | { readonly kind: "help" }
  /** No arguments at all: the usage on stderr, exit 2. */
  | { readonly kind: "usage" };
