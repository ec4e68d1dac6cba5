import type { CliCommand } from '../command.js';
import { serveCommand } from './serve.js';
import { gridCommand } from './grid.js';
import { newCommand } from './new.js';
import { checkCommand } from './check.js';
import { testCommand } from './test.js';
import { compileCommand } from './compile.js';
import { graphCommand } from './graph.js';
import { typesCommand } from './types.js';
import { packCommand } from './pack.js';
import { deployCommand } from './deploy.js';
import { undeployCommand } from './undeploy.js';
import { versionsCommand } from './versions.js';
import { upliftCommand } from './uplift.js';
import { deadLettersCommand } from './dead-letters.js';
import { reconcileCommand } from './reconcile.js';
import { lspCommand } from './lsp.js';

/** Every `journey` subcommand, in the order `journey --help` lists them. */
export const commands: CliCommand[] = [
  serveCommand,
  gridCommand,
  newCommand,
  checkCommand,
  testCommand,
  compileCommand,
  graphCommand,
  typesCommand,
  packCommand,
  deployCommand,
  undeployCommand,
  versionsCommand,
  upliftCommand,
  deadLettersCommand,
  reconcileCommand,
  lspCommand,
];
