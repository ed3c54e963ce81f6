import type { GenerateCertsOptions } from "../pki/types.ts";
import type { RenewOptions } from "../pki/renew.ts";
import type { CrlOptions, RevokeOptions } from "../pki/revoke.ts";

/** What the original program's command line added to a run; each key present only when given. */
export interface RunOptions {
  /** `--mode X`: must agree with the file's `mode:`. */
  readonly mode?: "server" | "client";
  /** `-debug`: log at debug level. */
  readonly debug?: true;
}

/** What the command line asks for; produced by parseCommandLine() in ./args.ts. */
export type Command =
  | ({ readonly kind: "run"; readonly configPath: string } & RunOptions)
  | ({ readonly kind: "check-config"; readonly configPath: string } & RunOptions)
  /** `sssonector status`: what the running process reports through its monitor. */
  | { readonly kind: "status"; readonly configPath: string; readonly json: boolean }
  | { readonly kind: "generate-certs"; readonly options: GenerateCertsOptions }
  | { readonly kind: "renew"; readonly options: RenewOptions }
  | { readonly kind: "list-certs"; readonly certDir: string }
  | { readonly kind: "revoke-cert"; readonly options: RevokeOptions }
  | { readonly kind: "refresh-crl"; readonly options: CrlOptions }
  | { readonly kind: "version" }
  | { readonly kind: "help" }
  /** No arguments at all: the usage on stderr, exit 2. */
  | { readonly kind: "usage" };
