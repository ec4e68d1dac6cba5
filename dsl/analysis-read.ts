/**
 * Who may read each journey, as the analysis reports it: its `read allow` rules, the data they
 * read, and whether a store can filter search results for a reader in its query (the rules, with
 * the reader known, compare only search fields with literals) or only after it, journey by
 * journey. Readers are tried as the senders of a bead's rules are (candidate-contexts.ts).
 */
import type { AnalysisFinding, ReadSummary } from './analysis-model.js';
import { candidateContexts } from './candidate-contexts.js';
import { contextAsJson } from './expressions.js';
import type { Bead, CompiledJourney, Expr, JsonSchema } from './ir.js';
import { lookupField, tyOfSchema } from './json-schemas.js';
import { readAccessIn, residualOnSearchFields } from './read-access.js';

/** The reader the analysis tries when the rules name too many values to try them all. */
const ANY_READER = contextAsJson({ sender: '\u0000someone', roles: [], trustLevel: 0, channel: '' });

function dataPaths(expr: Expr, into: Set<string>): void {
  switch (expr.kind) {
    case 'path':
      if (expr.root === 'data' && expr.segments.length > 0) into.add(expr.segments.join('.'));
      return;
    case 'unary':
      dataPaths(expr.operand, into);
      return;
    case 'binary':
      dataPaths(expr.left, into);
      dataPaths(expr.right, into);
      return;
    case 'call':
      expr.args.forEach((a) => dataPaths(a, into));
      return;
    case 'list':
      expr.items.forEach((i) => dataPaths(i, into));
      return;
    case 'object':
      expr.entries.forEach((e) => dataPaths(e.value, into));
      return;
    case 'literal':
      return;
  }
}

/** What the read rules say, tried for every candidate reader. */
export function readSummary(journey: CompiledJourney): ReadSummary {
  const rules = journey.read ?? [];
  const paths = new Set<string>();
  for (const rule of rules) dataPaths(rule.condition, paths);
  const fieldAt = (path: string): string | null => journey.searchFields.find((f) => f.path === `$.${path}`)?.name ?? null;
  const summary: ReadSummary = {
    rules: rules.map((r) => r.text),
    dataPaths: [...paths].sort().map((path) => ({ path: `data.${path}`, searchField: fieldAt(path) })),
    filteredInQuery: true,
    searchFields: [],
  };
  if (rules.length === 0) return summary;
  // The rules as one bead's access rules, to draw readers from the values they name.
  const asBead: Bead = { id: 'read', on: 'read', initiating: false, access: rules, preconditions: [], steps: [], location: { line: 1, column: 1 } };
  const used = new Set<string>();
  for (const candidate of candidateContexts(asBead, 'api')) {
    const { origin: _origin, ...reader } = candidate ?? ANY_READER;
    const access = readAccessIn(journey, reader);
    if (access.kind !== 'where') continue;
    const filter = residualOnSearchFields(access.condition, journey.searchFields);
    if (!filter.sqlable) {
      summary.filteredInQuery = false;
      summary.notInQuery ??= filter.reason;
      continue;
    }
    filter.fields.forEach((f) => used.add(f));
  }
  summary.searchFields = [...used].sort();
  return summary;
}

/** `search name: type` (or `= data.a.b`) for a data path whose schema holds one scalar kind; null otherwise. */
function searchDeclaration(schema: JsonSchema, path: string): string | null {
  let current: unknown = schema;
  for (const segment of path.split('.')) {
    const found = lookupField(current, schema, segment);
    if (found.found !== true) return null;
    current = found.schema;
  }
  const kinds = new Set(tyOfSchema(current, schema).kinds ?? []);
  kinds.delete('null');
  const [kind, ...more] = [...kinds];
  if (more.length > 0 || (kind !== 'string' && kind !== 'number' && kind !== 'boolean')) return null;
  const segments = path.split('.');
  const name = segments[segments.length - 1] ?? path;
  return segments.length === 1 ? `search ${name}: ${kind}` : `search ${name}: ${kind} = data.${path}`;
}

/** The findings about who may read: no rule at all, or rules a store cannot filter on in its query. */
export function readFindings(journey: CompiledJourney, summary: ReadSummary): AnalysisFinding[] {
  const finding = (code: AnalysisFinding['code'], message: string): AnalysisFinding => ({
    code,
    severity: 'warning',
    message,
    journey: journey.name,
    version: journey.version,
    source: journey.source,
  });
  if (summary.rules.length === 0) {
    return [finding('read-undeclared', 'no `read allow` rule: only the operator role may read its data and history (e.g. `read allow sender == data.owner`)')];
  }
  const late = 'search results for readers other than the operator are filtered after the query, not in it';
  const unsearched = summary.dataPaths.filter((p) => p.searchField === null);
  if (unsearched.length > 0) {
    const advice = unsearched.map((p) => {
      const declaration = searchDeclaration(journey.dataSchema, p.path.slice('data.'.length));
      return declaration === null ? `${p.path} holds no single string, number or boolean, so no search field can` : `declare \`${declaration}\``;
    });
    const names = unsearched.map((p) => p.path).join(', ');
    const what = unsearched.length === 1 ? 'which is not a search field' : 'which are not search fields';
    return [finding('read-filtered-late', `the read rules read ${names}, ${what}: ${late}; ${advice.join('; ')} to filter in it`)];
  }
  if (!summary.filteredInQuery) {
    return [finding('read-filtered-late', `${late}: ${summary.notInQuery ?? 'the rules are not comparisons of search fields with values'}`)];
  }
  return [];
}
