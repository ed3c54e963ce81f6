/**
 * The error thrown when a configuration file cannot be used, with every problem found in it.
 *
 * @module
 */

/** One thing wrong with a configuration file. */
export interface ConfigProblem {
  /** Dotted key path, e.g. `network.mtu`; empty for the file as a whole. */
  readonly path: string;
  /** 1-based line in the file, when the problem can be placed. */
  readonly line?: number;
  /** 1-based column; given for YAML syntax errors. */
  readonly column?: number;
  /** What is wrong, quoting the bad value and saying what is allowed. */
  readonly message: string;
}

/** One line per problem: `server.yaml: network.mtu (line 7): 20 is below the minimum 576`. */
export function formatProblem(sourcePath: string, problem: ConfigProblem): string {
  let where = "";
  if (problem.line !== undefined) {
    where = problem.column === undefined
      ? ` (line ${problem.line})`
      : ` (line ${problem.line}, column ${problem.column})`;
  }
  const subject = problem.path === ""
    ? `${sourcePath}${where}`
    : `${sourcePath}: ${problem.path}${where}`;
  return `${subject}: ${problem.message}`;
}

/** A configuration file was refused; `problems` lists everything wrong with it, in file order. */
export class ConfigError extends Error {
  /** The file as named by the caller. */
  readonly sourcePath: string;
  readonly problems: readonly ConfigProblem[];

  constructor(sourcePath: string, problems: readonly ConfigProblem[]) {
    const lines = problems.map((problem) => formatProblem(sourcePath, problem));
    super(lines.join("\n"));
    this.name = "ConfigError";
    this.sourcePath = sourcePath;
    this.problems = problems;
  }

  /** The problems, one line each, ready to print. */
  format(): string {
    return this.message;
  }
}
