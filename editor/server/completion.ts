/**
 * Completion: after `data.`, `event.` and `context.` (nested too: `data.address.`), the fields the
 * schema in scope lists, with their types; after `on ` and `emit `, the declared events.
 */
import type { CompletionItem } from 'vscode-languageserver/node';
import { CompletionItemKind } from 'vscode-languageserver/node';
import { pathBeforeCursor, schemaAtPath, schemaFields, schemaTypeText } from '../../dsl/index.js';
import type { ScopeAt } from './scope.js';
import { pathRoot } from './scope.js';

/** Words after which an event name comes. */
const BEFORE_EVENT = /(?:^|\s)(?:on|emit|reply|send|failure|publish(?:\s+\w+\s*,)*)\s+\w*$/;

export function completions(found: ScopeAt, text: string, offset: number): CompletionItem[] {
  const path = pathBeforeCursor(text, offset);
  if (path !== null) {
    const root = pathRoot(found, path.root, text, offset);
    if (root === null) return [];
    const at = schemaAtPath(root.schema, path.segments);
    if (at === null) return [];
    return schemaFields(at.schema, root.schema).map((field) => {
      const description = typeof field.schema.description === 'string' ? field.schema.description : undefined;
      return {
        label: field.name,
        kind: CompletionItemKind.Field,
        detail: `${schemaTypeText(field.schema, root.schema)}${field.optional ? ' (optional)' : ''}`,
        ...(description === undefined ? {} : { documentation: description }),
      };
    });
  }
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  if (BEFORE_EVENT.test(text.slice(lineStart, offset))) {
    return [...found.scope.events.entries()].map(([name, event]) => ({
      label: name,
      kind: CompletionItemKind.Event,
      detail: event.inline ? 'declared inline' : event.file,
    }));
  }
  return [];
}
