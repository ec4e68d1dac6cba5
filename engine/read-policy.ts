/**
 * Who may read what: a journey's `read allow` rules decided for one reader, and the tenant wall.
 * A reader sees a journey only when it is of the reader's tenant and its version's rules grant it
 * (a version with no rule: only the fallback roles, by default the operator). Everything else is
 * answered as if the journey did not exist.
 *
 * Search filters twice. SQL narrows the rows with what it can say exactly enough to never drop a
 * readable row (a superset: the tenant, each version's rule where it compares search fields with
 * literals); every row it returns is then decided again on its data, the same way a single read
 * is, so SQL's column semantics (truncated text, NULLs, numbers as text) can only cost a wasted
 * row, never a leak.
 */
import type { ColumnValue, JourneyRow, RowFilter } from '../cache-store/index.js';
import { mayReadData, readAccess, residualOnSearchFields } from '../dsl/index.js';
import type { CompiledJourney, JsonObject, ReadAccess, ReaderContext, SearchFilter } from '../dsl/index.js';
import { searchColumnName } from '../cache-store/index.js';

/** Who reads, as the API authenticated them. */
export interface Reader {
  tenant: string;
  context: ReaderContext;
  /** Roles that may read the journeys whose version declares no read rule. */
  fallbackRoles: readonly string[];
  /** The journey types the reader's tenant may use, when it is limited to some. */
  mayUseType?: (journeyType: string) => boolean;
}

/** What `reader` may read of `journey`'s instances: `all`, `none`, or those whose data pass. */
export function accessOf(journey: CompiledJourney, reader: Reader): Exclude<ReadAccess, { kind: 'undeclared' }> {
  const access = readAccess(journey, reader.context);
  if (access.kind !== 'undeclared') return access;
  return reader.context.roles.some((role) => reader.fallbackRoles.includes(role)) ? { kind: 'all' } : { kind: 'none' };
}

/** Whether `reader` may read data of a journey of `journey`'s version (its tenant already checked). */
export function mayRead(access: Exclude<ReadAccess, { kind: 'undeclared' }>, data: JsonObject | null): boolean {
  return access.kind === 'all' || (access.kind === 'where' && mayReadData(access, data));
}

/**
 * Whether `reader` may read the journey in `row`; `journey` is its version's definition (undefined
 * when this node does not know the version: then only a fallback role reads it, as undeclared).
 */
export function mayReadRow(row: JourneyRow, journey: CompiledJourney | undefined, reader: Reader): boolean {
  return rowReadCheck(reader)(row, journey);
}

/**
 * {@link mayReadRow} for many rows of one reader (a search): each version's rules are partially
 * evaluated once, not once per row.
 */
export function rowReadCheck(reader: Reader): (row: JourneyRow, journey: CompiledJourney | undefined) => boolean {
  const accesses = new Map<CompiledJourney, Exclude<ReadAccess, { kind: 'undeclared' }>>();
  return (row, journey) => {
    if (row.tenant !== reader.tenant || (reader.mayUseType && !reader.mayUseType(row.typeName))) return false;
    if (journey === undefined) return reader.context.roles.some((role) => reader.fallbackRoles.includes(role));
    let access = accesses.get(journey);
    if (access === undefined) {
      access = accessOf(journey, reader);
      accesses.set(journey, access);
    }
    return mayRead(access, row.data as JsonObject | null);
  };
}

const TRUE: RowFilter = { kind: 'true' };
const FALSE: RowFilter = { kind: 'false' };
/** Longer text is truncated in its column (search-columns.ts): equality could miss it, so SQL does not decide it. */
const MAX_COLUMN_TEXT = 255;

/**
 * A row filter that passes every row whose data satisfy `filter` (and maybe more): column text is
 * the text of any scalar and NULL stands for objects, lists and missing values, so only the forms
 * whose rows cannot escape them are kept; the others pass everything and are left to the check of
 * each row.
 */
function supersetOf(filter: SearchFilter): RowFilter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { kind: filter.kind, items: filter.parts.map(supersetOf) };
    case 'not':
      return TRUE;
    case 'in': {
      const values = filter.values.map(columnValue);
      if (values.some((value) => value === undefined)) return TRUE;
      return { kind: 'in', column: searchColumnName(filter.field.name), values: values as ColumnValue[] };
    }
    case 'compare': {
      const column = searchColumnName(filter.field.name);
      if (filter.value === null) return filter.op === '==' ? { kind: 'isNull', column } : TRUE;
      const value = columnValue(filter.value);
      if (value === undefined) return TRUE;
      if (filter.op === '==') return { kind: 'compare', column, op: '=', value };
      // A string column holds the text of numbers too ("5" for 5): `!=` could drop a readable row.
      if (filter.op === '!=')
        return filter.field.type === 'string'
          ? TRUE
          : {
              kind: 'or',
              items: [
                { kind: 'isNull', column },
                { kind: 'compare', column, op: '<>', value },
              ],
            };
      return filter.field.type === 'number' ? { kind: 'compare', column, op: filter.op, value } : TRUE;
    }
  }
}

/** A value as its column holds it; undefined when the column cannot hold it exactly. */
function columnValue(value: string | number | boolean): ColumnValue | undefined {
  if (typeof value === 'string') return value.length <= MAX_COLUMN_TEXT ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
}

/**
 * The SQL side of a search's read check over the versions in scope: `(version = v AND rule_v) OR
 * …`, a version whose rule grants nothing left out. FALSE when no version grants anything.
 */
export function searchFilterOf(versions: readonly CompiledJourney[], reader: Reader): RowFilter {
  const items: RowFilter[] = [];
  for (const journey of versions) {
    const access = accessOf(journey, reader);
    if (access.kind === 'none') continue;
    const version: RowFilter = { kind: 'version', version: journey.version };
    if (access.kind === 'all') {
      items.push(version);
      continue;
    }
    const sql = residualOnSearchFields(access.condition, journey.searchFields);
    items.push(sql.sqlable ? { kind: 'and', items: [version, supersetOf(sql.filter)] } : version);
  }
  if (items.length === 0) return FALSE;
  return items.length === 1 ? (items[0] ?? FALSE) : { kind: 'or', items };
}
