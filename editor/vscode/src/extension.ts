/**
 * Starts the journey language server (`journey lsp`) over stdio for `.jd` files. The server does
 * the work; this only finds the command that runs it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workspace } from 'vscode';
import type { ExtensionContext } from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { Executable, LanguageClientOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

/** The setting, else the workspace's installed CLI, else a Journey Engine checkout's source, else `journey` on the PATH. */
function serverCommand(): Executable {
  const root = workspace.workspaceFolders?.[0]?.uri.fsPath;
  const options = root === undefined ? {} : { cwd: root };
  const [command, ...args] = workspace.getConfiguration('journey').get<string[]>('server.command') ?? [];
  if (command !== undefined) return { command, args, transport: TransportKind.stdio, options };
  if (root !== undefined) {
    const installed = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'journey.cmd' : 'journey');
    if (existsSync(installed)) return { command: installed, args: ['lsp'], transport: TransportKind.stdio, options };
    // The extension host's own executable is not Node: run the one on the PATH.
    if (existsSync(join(root, 'cli', 'main.ts')) && existsSync(join(root, 'node_modules', 'tsx'))) {
      return { command: 'node', args: ['--import', 'tsx', 'cli/main.ts', 'lsp'], transport: TransportKind.stdio, options };
    }
  }
  return { command: 'journey', args: ['lsp'], transport: TransportKind.stdio, options };
}

export async function activate(_context: ExtensionContext): Promise<void> {
  const server = serverCommand();
  const clientOptions: LanguageClientOptions = { documentSelector: [{ scheme: 'file', language: 'journey' }] };
  client = new LanguageClient('journey', 'Journey language server', { run: server, debug: server }, clientOptions);
  await client.start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
