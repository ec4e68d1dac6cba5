/**
 * The schemas in scope where the cursor is: the definition's declarations read with the files of
 * its version folder. While a line is half typed (`data.`) the file does not parse; the line is
 * then left out, and failing that the last scope that could be read is used.
 */
import { beadEventAt, journeyScope, readVersionFiles } from '../../dsl/index.js';
import type { JourneyScope, JsonSchema, ScopeEvent } from '../../dsl/index.js';
import { versionFolder } from './paths.js';

export interface ScopeAt {
  scope: JourneyScope;
  /** The version folder, and its other files by relative path (`events/deposit.schema.json`). */
  folder: string;
  files: ReadonlyMap<string, string>;
}

/** The text with the line holding `offset` blanked (offsets kept). */
function withoutLine(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const next = text.indexOf('\n', offset);
  const end = next < 0 ? text.length : next;
  return text.slice(0, start) + ' '.repeat(end - start) + text.slice(end);
}

export class Scopes {
  private readonly lastGood = new Map<string, ScopeAt>();

  /** The scope of the document `uri` with `text`, for the cursor at `offset`; null when none is known. */
  async at(uri: string, text: string, offset: number): Promise<ScopeAt | null> {
    const folder = versionFolder(uri);
    if (folder === null) return null;
    let files: ReadonlyMap<string, string>;
    try {
      // Read each time: schema files change beside the definition, and a folder is a few small files.
      files = await readVersionFiles(folder);
    } catch {
      return this.lastGood.get(uri) ?? null;
    }
    const scope = journeyScope(text, files) ?? journeyScope(withoutLine(text, offset), files);
    if (scope === null) return this.lastGood.get(uri) ?? null;
    const found = { scope, folder, files };
    this.lastGood.set(uri, found);
    return found;
  }

  forget(uri: string): void {
    this.lastGood.delete(uri);
  }
}

/** What a `data.`, `event.` or `context.` path starts from: its schema and where that is declared. */
export interface PathRoot {
  schema: JsonSchema;
  /** The schema file relative to the version folder, or null (the context, an inline event). */
  file: string | null;
  /** The event whose payload `event.` reads, when the path is in a bead. */
  event?: { name: string } & Pick<ScopeEvent, 'inline' | 'span'>;
}

/** The schema the path root `root` reads at `offset`; null where it is not known (`event.` outside a bead). */
export function pathRoot(found: ScopeAt, root: 'data' | 'event' | 'context', text: string, offset: number): PathRoot | null {
  const { scope } = found;
  if (root === 'context') return { schema: scope.context, file: null };
  if (root === 'data') return scope.data === null ? null : { schema: scope.data.schema, file: scope.data.file };
  const name = beadEventAt(text, offset);
  const event = name === null ? undefined : scope.events.get(name);
  if (name === null || event === undefined) return null;
  return { schema: event.schema, file: event.inline ? null : event.file, event: { name, inline: event.inline, span: event.span } };
}
