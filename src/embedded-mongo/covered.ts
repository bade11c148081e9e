// Counts and distinct values answered from an index's keys without reading a document, for the
// shapes the service asks for over whole regions: a single field compared with strings or
// regular expressions (`{ regionCode: /^421199/ }`, a county's households), and equality on the
// first two fields of a compound index (a run's results in one category). mongod answers
// these from the index too (COUNT_SCAN, DISTINCT_SCAN); here a full scan read every household
// from SQLite to test one field, about 1.5 s of CPU per 100k households for each count.
//
// Exact, not a narrowing: a document matches such a filter exactly when one of its values of the
// field (each element of an array) is a matching string, and the index holds one key per value.
// A partial index leaves documents out and a hashed one cannot give back its values, so neither
// is used; a sparse one only leaves out documents without the field, which no string matches.
import type { Collection } from './collection';
import type { Index } from './indexes';
import { ObjectId } from 'bson';
import { type Doc, isPlainObject, valueKey } from './keys';

type Test = (s: string) => boolean;

/** The string tests of `{ field: string | RegExp | { $in: [...] } | { $regex: RegExp } }`, or null for any other condition. */
function stringTests(condition: unknown): Test[] | null {
  const one = (v: unknown): Test | null => {
    if (typeof v === 'string') return (s) => s === v;
    if (v instanceof RegExp && !v.global && !v.sticky) return (s) => v.test(s);
    return null;
  };
  if (!isPlainObject(condition)) {
    const t = one(condition);
    return t ? [t] : null;
  }
  const keys = Object.keys(condition);
  if (keys.length !== 1) return null;
  if (keys[0] === '$regex') {
    const t = condition.$regex instanceof RegExp ? one(condition.$regex) : null;
    return t ? [t] : null;
  }
  if (keys[0] !== '$in' || !Array.isArray(condition.$in)) return null;
  const tests = condition.$in.map(one);
  return tests.every((t): t is Test => t !== null) ? tests : null;
}

/** The index whose first field is `field`, ascending or descending, holding every document. */
function indexOn(c: Collection, field: string): Index | undefined {
  return c.indexes.find((index) => index.fields[0] === field && !index.spec.partialFilterExpression && typeof index.spec.key[field] === 'number');
}

/** A string index key (keys.ts `valueKey`: `s<length>:<value>`) back to its string; undefined for any other type. */
function stringOfKey(key: string): string | undefined {
  if (key[0] !== 's') return undefined;
  const colon = key.indexOf(':');
  return colon > 0 ? key.slice(colon + 1) : undefined;
}

interface Covered { field: string; index: Index; tests: Test[] }

/** The field, index and tests when `filter` can be answered from an index's keys; null otherwise. */
function covered(c: Collection | undefined, filter: Doc | undefined): Covered | null {
  if (!c || !filter) return null;
  const fields = Object.keys(filter);
  if (fields.length !== 1 || fields[0].startsWith('$')) return null;
  const tests = stringTests(filter[fields[0]]);
  if (!tests) return null;
  const index = indexOn(c, fields[0]);
  return index ? { field: fields[0], index, tests } : null;
}

/** Each matching key's string and the ids holding it. */
function* matchingKeys({ index, tests }: Covered): Generator<[string, string | Set<string>]> {
  for (const [key, ids] of index.prefix ?? index.map) {
    const value = stringOfKey(key);
    if (value !== undefined && tests.some((t) => t(value))) yield [value, ids];
  }
}

/** Values a `{ field: v }` or `{ field: { $in: [...] } }` equality can be counted by from index keys: strings, numbers, flags, ids. */
function scalarValues(condition: unknown): unknown[] | null {
  const scalar = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && !Number.isNaN(v)) || typeof v === 'boolean' || v instanceof ObjectId;
  if (isPlainObject(condition)) {
    const keys = Object.keys(condition);
    if (keys.length !== 1) return null;
    const values = keys[0] === '$eq' ? [condition.$eq] : keys[0] === '$in' && Array.isArray(condition.$in) ? condition.$in : null;
    return values && values.every(scalar) ? values : null;
  }
  return scalar(condition) ? [condition] : null;
}

/**
 * `{ a: x, b: y }` on the first two fields of a compound index (a run's results by run and
 * category: `{ runId, categories }`): the ids under each pair of values. Exact for the values
 * `scalarValues` allows, none of which also matches a missing field or an empty array.
 */
function pairIds(c: Collection, filter: Doc): Set<string> | null {
  const fields = Object.keys(filter);
  if (fields.length !== 2 || fields.some((f) => f.startsWith('$'))) return null;
  const index = c.indexes.find((ix) => ix.pairs && !ix.spec.partialFilterExpression
    && ((ix.fields[0] === fields[0] && ix.fields[1] === fields[1]) || (ix.fields[0] === fields[1] && ix.fields[1] === fields[0])));
  if (!index) return null;
  const as = scalarValues(filter[index.fields[0]]);
  const bs = scalarValues(filter[index.fields[1]]);
  if (!as || !bs) return null;
  const ids = new Set<string>();
  for (const a of as) {
    for (const b of bs) {
      const held = index.lookupPair(valueKey(a), valueKey(b));
      if (held) for (const id of held) ids.add(id);
    }
  }
  return ids;
}

/** How many documents match `filter`, from an index; null when the filter is not of that shape. */
export function coveredCount(c: Collection | undefined, filter: Doc | undefined): number | null {
  if (c && filter) {
    const pairs = pairIds(c, filter);
    if (pairs) return pairs.size;
  }
  const plan = covered(c, filter);
  if (!plan) return null;
  // A set of ids: the same document holds several matching keys when the field is an array.
  const ids = new Set<string>();
  for (const [, held] of matchingKeys(plan)) {
    if (typeof held === 'string') ids.add(held);
    else for (const id of held) ids.add(id);
  }
  return ids.size;
}

/**
 * The distinct values of `key` among documents matching `filter` on that same field; null
 * otherwise. Only while no document holds more than one key of the index: distinct lists every
 * value of a matching document, and an array's other elements need not match.
 */
export function coveredDistinct(c: Collection | undefined, key: string, filter: Doc | undefined): string[] | null {
  const plan = covered(c, filter);
  if (!c || !plan || plan.field !== key || plan.index.sparse) return null;
  let keyed = 0;
  for (const held of (plan.index.prefix ?? plan.index.map).values()) keyed += typeof held === 'string' ? 1 : held.size;
  if (keyed !== c.docs.size) return null;
  const values: string[] = [];
  for (const [value, held] of matchingKeys(plan)) if (typeof held === 'string' || held.size > 0) values.push(value);
  return values;
}
