import type { CliCommand } from '../command.js';
import { serveCommand } from './serve.js';
import { gridCommand } from './grid.js';
import { checkCommand } from './check.js';
import { compileCommand } from './compile.js';
import { graphCommand } from './graph.js';
import { typesCommand } from './types.js';
import { packCommand } from './pack.js';

/** Every `journey` subcommand, in the order `journey --help` lists them. */
export const commands: CliCommand[] = [serveCommand, gridCommand, checkCommand, compileCommand, graphCommand, typesCommand, packCommand];
