/**
 * Compiler diagnostics as LSP diagnostics: a compile of the version folder with the editor's text
 * in place of the definition file, grouped by the document each belongs to (the definition, or a
 * schema file of the folder whose own line is wrong).
 */
import { join, resolve } from 'node:path';
import type { Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { DEFINITION_FILE, loadJourneyDirectory } from '../../dsl/index.js';
import type { Diagnostic } from '../../dsl/index.js';
import { pathUri } from './paths.js';

function toLsp(diagnostic: Diagnostic): LspDiagnostic {
  // Line 0 is about the whole file: shown on its first line.
  const line = Math.max(0, diagnostic.line - 1);
  const character = Math.max(0, diagnostic.column - 1);
  return {
    range: { start: { line, character }, end: { line, character: diagnostic.line === 0 ? 0 : character + diagnostic.length } },
    severity: diagnostic.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: diagnostic.code,
    source: 'journey',
    message: diagnostic.message,
  };
}

/**
 * The diagnostics of the version in `folder` compiled with `source` as its definition, by document
 * URI; the definition's are under `definitionUri` (always present, maybe empty).
 */
export async function versionDiagnostics(folder: string, source: string, definitionUri: string): Promise<Map<string, LspDiagnostic[]>> {
  const loaded = await loadJourneyDirectory(folder, { source });
  const definition = join(folder, DEFINITION_FILE);
  const byUri = new Map<string, LspDiagnostic[]>([[definitionUri, []]]);
  for (const diagnostic of loaded.diagnostics) {
    // Diagnostics name files as the command line shows them: relative to the working folder.
    const file = resolve(diagnostic.file);
    const uri = file === definition ? definitionUri : pathUri(file);
    const list = byUri.get(uri) ?? [];
    list.push(toLsp(diagnostic));
    byUri.set(uri, list);
  }
  return byUri;
}
