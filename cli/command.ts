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

/** A wrong command line: the command prints it with its help and exits with `EXIT.usage`. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** True for a UsageError or a `node:util` parseArgs complaint (unknown or malformed option). */
function isUsageError(error: unknown): error is Error {
  return error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
}

/**
 * Wraps a command's body so a wrong command line prints `journey <name>: <why>` and the help,
 * and exits 2; other errors pass through (or to `onError` when given).
 */
export function withUsage(name: string, help: string, body: (args: string[]) => Promise<number>, onError?: (error: unknown) => number | undefined) {
  return async (args: string[]): Promise<number> => {
    try {
      return await body(args);
    } catch (error: unknown) {
      if (isUsageError(error)) {
        console.error(`journey ${name}: ${error.message}\n\n${help}`);
        return EXIT.usage;
      }
      const code = onError?.(error);
      if (code !== undefined) return code;
      throw error;
    }
  };
}
