/**
 * Go to definition: an event's name goes to its schema file (or its inline declaration), a
 * `schema "file.json"` to that file, and a `data.`/`event.` path to its field in the schema file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Location, Range } from 'vscode-languageserver/node';
import { jsonPointerOffset, referenceAt } from '../../dsl/index.js';
import { pathUri } from './paths.js';
import type { ScopeAt } from './scope.js';
import { pathRoot } from './scope.js';

const TOP: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** Where the last of `keys` is as a JSON key in the schema text `json` (`"amount":`), or the top. */
function keyRange(json: string | undefined, keys: readonly string[]): Range {
  if (json === undefined || keys.length === 0) return TOP;
  const offset = jsonPointerOffset(json, `/${keys.map((k) => k.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`);
  const before = json.slice(0, offset);
  const line = before.split('\n').length - 1;
  const character = offset - (before.lastIndexOf('\n') + 1);
  return { start: { line, character }, end: { line, character } };
}

export function definitionAt(found: ScopeAt, uri: string, text: string, offset: number, toRange: (start: number, end: number) => Range): Location | null {
  const reference = referenceAt(text, offset);
  if (reference === null) return null;
  const file = (relative: string, range: Range = TOP): Location | null => {
    const path = join(found.folder, relative);
    return existsSync(path) ? { uri: pathUri(path), range } : null;
  };
  switch (reference.kind) {
    case 'schemaFile':
      return file(reference.path);
    case 'name': {
      const event = found.scope.events.get(reference.name);
      if (event === undefined) return null;
      return event.inline ? { uri, range: toRange(event.span.start, event.span.end) } : file(event.file);
    }
    case 'path': {
      const root = pathRoot(found, reference.root, text, offset);
      if (root === null) return null;
      if (root.file !== null) return file(root.file, keyRange(found.files.get(root.file), reference.segments));
      return root.event ? { uri, range: toRange(root.event.span.start, root.event.span.end) } : null;
    }
  }
}
