import type { CliCommand } from '../command.js';
import { serveCommand } from './serve.js';

/** Every `journey` subcommand, in the order `journey --help` lists them. */
export const commands: CliCommand[] = [serveCommand];
