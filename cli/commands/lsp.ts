import { startLanguageServer } from '../../editor/index.js';
import type { CliCommand } from '../command.js';
import { EXIT } from '../command.js';

const HELP = `Usage: journey lsp [--stdio]

Runs the journey language server on standard input and output (the Language Server Protocol), for
editors: diagnostics as you type, completion of data., event. and context. paths from the schemas,
hover types, and go to an event's schema. The VS Code extension in editor/vscode/ starts it;
other editors run \`journey lsp --stdio\` for files ending in .jd. Prints nothing else on stdout.`;

export const lspCommand: CliCommand = {
  name: 'lsp',
  summary: 'Run the language server for editors on stdio',
  help: HELP,
  async run(args) {
    // Language clients add `--stdio`; it is the only transport.
    const extra = args.filter((a) => a !== '--stdio');
    if (extra.length > 0) {
      console.error(`journey lsp: unexpected ${extra.join(' ')}\n\n${HELP}`);
      return EXIT.usage;
    }
    await startLanguageServer({ input: process.stdin, output: process.stdout }).closed;
    return EXIT.ok;
  },
};
