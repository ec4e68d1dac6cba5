/**
 * Search fields (`search owner: string, city: string = data.address.city`): the data values the
 * store keeps in columns of their own so journeys can be found by them. Each reads a path into
 * data whose schema type must be the declared one.
 */
import type { ExprNode, ItemNode, Name } from './ast.js';
import type { Compilation } from './compilation.js';
import { lowerExpr } from './expression-typing.js';
import type { JsonSchema, SearchField } from './ir.js';
import { kindsText, nonNull } from './json-schemas.js';
import type { Kind } from './json-schemas.js';

const SEARCH_TYPES = new Set(['string', 'number', 'boolean']);

export function lowerSearchFields(c: Compilation, items: ReadonlyArray<Extract<ItemNode, { kind: 'search' }>>, data: JsonSchema): SearchField[] {
  const searchFields: SearchField[] = [];
  const searchNames = new Set<string>();
  for (const item of items) {
    for (const field of item.fields) {
      if (searchNames.has(field.name.value)) {
        c.error('duplicate-declaration', `search field ${field.name.value} is declared twice`, field.name.span);
        continue;
      }
      searchNames.add(field.name.value);
      if (!SEARCH_TYPES.has(field.type.value)) {
        c.error('invalid-search-field', `search fields are string, number or boolean, not ${field.type.value}`, field.type.span);
        continue;
      }
      let segments: Name[] = [field.name];
      if (field.path !== null) {
        if (field.path.kind !== 'path' || field.path.root !== 'data' || field.path.segments.length === 0) {
          c.error('invalid-search-field', 'a search field reads a path into data, e.g. `= data.owner.name`', field.path.span);
          continue;
        }
        segments = field.path.segments;
      }
      const pathNode: ExprNode = { kind: 'path', root: 'data', segments, span: field.path?.span ?? field.name.span };
      const before = c.diagnostics.length;
      const found = lowerExpr(c, pathNode, { data, event: null });
      if (c.diagnostics.length === before && found.ty.kinds !== null) {
        const wanted: Kind = field.type.value === 'string' ? 'string' : field.type.value === 'number' ? 'number' : 'boolean';
        if (!found.ty.kinds.has(wanted)) {
          c.error(
            'invalid-search-field',
            `search field ${field.name.value} is declared ${field.type.value}, but data.${segments.map((s) => s.value).join('.')} is ${kindsText(nonNull(found.ty) ?? [])}`,
            field.type.span,
          );
        }
      }
      searchFields.push({ name: field.name.value, path: `$.${segments.map((s) => s.value).join('.')}`, type: field.type.value as SearchField['type'] });
    }
  }
  return searchFields;
}
