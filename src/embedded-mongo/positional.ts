// The positional `$` (update paths like `members.$.health` and projections like `members.$`)
// means "the first array element the query matched". mingo does not implement it.
import { newQuery } from './mingo-context';
import { MongoCommandError } from './errors';
import { type Doc, getPath, isPlainObject } from './keys';

function conditionsOn(filter: Doc | undefined, arrayPath: string, out: [string, unknown][] = []): [string, unknown][] {
  if (!filter) return out;
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) for (const sub of v) conditionsOn(sub as Doc, arrayPath, out);
    else if (k === arrayPath || k.startsWith(arrayPath + '.')) out.push([k.slice(arrayPath.length + 1), v]);
  }
  return out;
}

function elementMatches(elem: unknown, rest: string, cond: unknown): boolean {
  if (rest === '') {
    if (isPlainObject(cond) && '$elemMatch' in cond) {
      const inner = cond.$elemMatch as Doc;
      const operatorOnly = Object.keys(inner).every((k) => k.startsWith('$'));
      return operatorOnly ? newQuery({ v: inner }).test({ v: elem }) : isPlainObject(elem) && newQuery(inner).test(elem);
    }
    return newQuery({ v: cond }).test({ v: elem });
  }
  return isPlainObject(elem) && newQuery({ [rest]: cond }).test(elem);
}

/** Index of the first element of `doc[arrayPath]` matched by the filter's conditions on it. */
export function positionalIndex(doc: Doc, arrayPath: string, filter: Doc | undefined): number {
  const arr = getPath(doc, arrayPath);
  const conds = conditionsOn(filter, arrayPath);
  if (!Array.isArray(arr) || conds.length === 0) {
    throw new MongoCommandError('BadValue', 'The positional operator did not find the match needed from the query.');
  }
  const i = arr.findIndex((elem) => conds.every(([rest, cond]) => elementMatches(elem, rest, cond)));
  if (i < 0) throw new MongoCommandError('BadValue', 'The positional operator did not find the match needed from the query.');
  return i;
}

/** Rewrite `a.$.b` paths of an operator update to the matched index. */
export function resolvePositionalUpdate(ops: Doc, doc: Doc, filter: Doc | undefined): Doc {
  let changed = false;
  const out: Doc = {};
  for (const [op, arg] of Object.entries(ops)) {
    if (!isPlainObject(arg)) {
      out[op] = arg;
      continue;
    }
    const next: Doc = {};
    for (const [path, v] of Object.entries(arg)) {
      const parts = path.split('.');
      const at = parts.indexOf('$');
      if (at < 0) {
        next[path] = v;
        continue;
      }
      changed = true;
      const i = positionalIndex(doc, parts.slice(0, at).join('.'), filter);
      parts[at] = String(i);
      next[parts.join('.')] = v;
    }
    out[op] = next;
  }
  return changed ? out : ops;
}
