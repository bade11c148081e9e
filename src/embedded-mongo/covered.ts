// Counts and distinct values answered from an index's keys without reading a document, for the
// one shape the service asks for over whole regions: a single field compared with strings or
// regular expressions (`{ regionCode: /^421199/ }`, a county's households). mongod answers
// these from the index too (COUNT_SCAN, DISTINCT_SCAN); here a full scan read every household
// from SQLite to test one field, about 1.5 s of CPU per 100k households for each count.
//
// Exact, not a narrowing: a document matches such a filter exactly when one of its values of the
// field (each element of an array) is a matching string, and the index holds one key per value.
// A partial index leaves documents out and a hashed one cannot give back its values, so neither
// is used; a sparse one only leaves out documents without the field, which no string matches.
import type { Collection } from './collection';
import type { Index } from './indexes';
import { type Doc, isPlainObject } from './keys';

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

/** How many documents match `filter`, from an index; null when the filter is not of that shape. */
export function coveredCount(c: Collection | undefined, filter: Doc | undefined): number | null {
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
