import type { CliCommand } from '../command.js';

/** Every `journey` subcommand, in the order `journey --help` lists them. */
export const commands: CliCommand[] = [];
