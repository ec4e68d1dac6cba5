/** A `journey` subcommand. Each lives in its own file under cli/commands/ and is listed in commands/index.ts. */
export interface CliCommand {
  /** The word after `journey`, e.g. `serve`. */
  name: string;
  /** One line for `journey --help`. */
  summary: string;
  /** The full text for `journey <name> --help`. */
  help: string;
  /** Runs the command; the resolved number is the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Exit codes scripts can trust. */
export const EXIT = {
  ok: 0,
  /** The input (journey sources, config) has errors the user must fix. */
  invalidInput: 1,
  /** The command line itself is wrong. */
  usage: 2,
  /** A service or dependency failed. */
  failure: 3,
} as const;
