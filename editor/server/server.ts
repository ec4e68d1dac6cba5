/**
 * The journey language server: one connection over a pair of streams (stdio for `journey lsp`),
 * the open definitions kept by `TextDocuments`, and the answers of the files beside this one.
 * Diagnostics come from compiling the document's version folder with its unsaved text, a short
 * while after the last change; a compile that finishes after a newer change is dropped.
 */
import type { CompletionItem, Connection, Hover, Location, Range, TextDocumentPositionParams } from 'vscode-languageserver/node';
import { createConnection, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { completions } from './completion.js';
import { definitionAt } from './definition.js';
import { versionDiagnostics } from './diagnostics.js';
import { hoverAt } from './hover.js';
import { versionFolder } from './paths.js';
import { Scopes } from './scope.js';
import type { ScopeAt } from './scope.js';

/** How long after the last change a document is compiled: typing does not compile every keystroke. */
export const DIAGNOSTICS_DEBOUNCE_MS = 250;

export interface LanguageServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** @defaultValue DIAGNOSTICS_DEBOUNCE_MS */
  debounceMs?: number;
}

export interface RunningLanguageServer {
  connection: Connection;
  /** Resolves when the client closes the input stream (after `exit`, the library ends the process). */
  closed: Promise<void>;
}

export function startLanguageServer(options: LanguageServerOptions): RunningLanguageServer {
  const connection = createConnection(options.input, options.output);
  const documents = new TextDocuments(TextDocument);
  const scopes = new Scopes();
  const debounceMs = options.debounceMs ?? DIAGNOSTICS_DEBOUNCE_MS;
  const pending = new Map<string, NodeJS.Timeout>();
  /** Other files (schema files) each definition last published diagnostics for, to clear them when fixed. */
  const published = new Map<string, Set<string>>();

  const publish = async (document: TextDocument): Promise<void> => {
    const folder = versionFolder(document.uri);
    if (folder === null) return;
    const version = document.version;
    const byUri = await versionDiagnostics(folder, document.getText(), document.uri);
    // A newer change is on its way; its own compile will publish.
    if (documents.get(document.uri)?.version !== version) return;
    const before = published.get(document.uri) ?? new Set<string>();
    for (const uri of before) if (!byUri.has(uri)) byUri.set(uri, []);
    published.set(document.uri, new Set([...byUri.keys()].filter((uri) => uri !== document.uri)));
    for (const [uri, diagnostics] of byUri) await connection.sendDiagnostics({ uri, diagnostics });
  };

  const schedule = (document: TextDocument, delayMs: number): void => {
    clearTimeout(pending.get(document.uri));
    pending.set(
      document.uri,
      setTimeout(() => {
        pending.delete(document.uri);
        publish(document).catch((error: unknown) => connection.console.error(`journey: diagnostics of ${document.uri} failed: ${String(error)}`));
      }, delayMs),
    );
  };

  const rangeIn =
    (document: TextDocument) =>
    (start: number, end: number): Range => ({ start: document.positionAt(start), end: document.positionAt(end) });

  connection.onInitialize(() => ({
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: ['.', ' '] },
      hoverProvider: true,
      definitionProvider: true,
    },
    serverInfo: { name: 'journey' },
  }));

  documents.onDidOpen((event) => schedule(event.document, 0));
  documents.onDidChangeContent((event) => schedule(event.document, debounceMs));
  documents.onDidClose((event) => {
    clearTimeout(pending.get(event.document.uri));
    pending.delete(event.document.uri);
    scopes.forget(event.document.uri);
    const others = published.get(event.document.uri) ?? new Set<string>();
    published.delete(event.document.uri);
    for (const uri of [event.document.uri, ...others]) void connection.sendDiagnostics({ uri, diagnostics: [] });
  });

  /** Answers a request at a position with the scope there, or with `none` when nothing is known. */
  const atPosition =
    <T>(none: T, answer: (found: ScopeAt, text: string, offset: number, document: TextDocument) => T) =>
    async (params: TextDocumentPositionParams): Promise<T> => {
      const document = documents.get(params.textDocument.uri);
      if (document === undefined) return none;
      const text = document.getText();
      const offset = document.offsetAt(params.position);
      const found = await scopes.at(document.uri, text, offset);
      return found === null ? none : answer(found, text, offset, document);
    };

  connection.onCompletion(atPosition([] as CompletionItem[], completions));
  connection.onHover(atPosition(null as Hover | null, (found, text, offset, document) => hoverAt(found, text, offset, rangeIn(document))));
  connection.onDefinition(
    atPosition(null as Location | null, (found, text, offset, document) => definitionAt(found, document.uri, text, offset, rangeIn(document))),
  );

  documents.listen(connection);
  connection.listen();
  const closed = new Promise<void>((resolve) => {
    options.input.once('close', resolve);
    options.input.once('end', resolve);
  });
  return { connection, closed };
}
