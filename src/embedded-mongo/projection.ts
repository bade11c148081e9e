// find/findAndModify projections, done here rather than by mingo because MongoDB's rules differ
// from mingo's in ways results depend on: `$slice` alone keeps the other fields, `_id` comes
// first, positional `$` and `$elemMatch` return the matched element, and mixing inclusion with
// exclusion is an error (31253/31254). Computed fields are handed to mingo.
import type { Query } from 'mingo/query';
import type { PathLevel } from './bson-raw';
import { newQuery } from './mingo-context';
import { MongoCommandError, fromMingoError, unsupported } from './errors';
import { type Doc, getPath, isPlainObject } from './keys';
import { positionalIndex } from './positional';

type Tree = Map<string, Tree | true>;
export type Projector = (doc: Doc, filter?: Doc) => Doc;

function addPath(tree: Tree, parts: string[]): void {
  let t = tree;
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const cur = t.get(parts[i]);
    if (last) {
      t.set(parts[i], true);
      return;
    }
    if (cur === true) return;
    if (!cur) {
      const sub: Tree = new Map();
      t.set(parts[i], sub);
      t = sub;
    } else {
      t = cur;
    }
  }
}

function include(v: unknown, tree: Tree): unknown {
  if (Array.isArray(v)) return v.filter((e) => isPlainObject(e) || Array.isArray(e)).map((e) => include(e, tree));
  if (!isPlainObject(v)) return undefined;
  const out: Doc = {};
  for (const k of Object.keys(v)) {
    const t = tree.get(k);
    if (!t) continue;
    if (t === true) out[k] = v[k];
    else if (isPlainObject(v[k]) || Array.isArray(v[k])) out[k] = include(v[k], t);
  }
  return out;
}

function exclude(v: unknown, tree: Tree): unknown {
  if (Array.isArray(v)) return v.map((e) => (isPlainObject(e) || Array.isArray(e) ? exclude(e, tree) : e));
  if (!isPlainObject(v)) return v;
  const out: Doc = {};
  for (const k of Object.keys(v)) {
    const t = tree.get(k);
    if (t === true) continue;
    out[k] = t && (isPlainObject(v[k]) || Array.isArray(v[k])) ? exclude(v[k], t) : v[k];
  }
  return out;
}

function slice(arr: unknown[], arg: unknown): unknown[] {
  if (typeof arg === 'number') return arg >= 0 ? arr.slice(0, arg) : arr.slice(Math.max(0, arr.length + arg));
  if (Array.isArray(arg) && arg.length === 2) {
    const [skip, limit] = arg.map(Number);
    if (limit <= 0) throw new MongoCommandError('BadValue', '$slice limit must be positive');
    const start = skip >= 0 ? skip : Math.max(0, arr.length + skip);
    return arr.slice(start, start + limit);
  }
  throw new MongoCommandError('BadValue', '$slice only supports numbers and [skip, limit] arrays');
}

/** Apply `fn` to the value at a dotted path of a (copied-on-the-way) document. */
function rewriteAt(doc: Doc, parts: string[], fn: (v: unknown) => unknown): Doc {
  const [head, ...rest] = parts;
  if (!(head in doc)) return doc;
  const out: Doc = { ...doc };
  if (rest.length === 0) out[head] = fn(doc[head]);
  else if (isPlainObject(doc[head])) out[head] = rewriteAt(doc[head], rest, fn);
  else if (Array.isArray(doc[head])) out[head] = doc[head].map((e: unknown) => (isPlainObject(e) ? rewriteAt(e, rest, fn) : e));
  return out;
}

export function compileProjection(spec: Doc | undefined): Projector | null {
  if (!spec || Object.keys(spec).length === 0) return null;
  const includeTree: Tree = new Map();
  const excludeTree: Tree = new Map();
  const slices: [string[], unknown][] = [];
  const elemMatches: [string, Query][] = [];
  let positional: string | undefined;
  let idMode: boolean | undefined;
  let includes = 0;
  let excludes = 0;
  let computed = false;
  for (const [field, v] of Object.entries(spec)) {
    if (isPlainObject(v)) {
      const op = Object.keys(v)[0];
      if (op === '$slice') {
        slices.push([field.split('.'), v.$slice]);
        continue;
      }
      if (op === '$elemMatch') {
        if (field.includes('.')) throw new MongoCommandError('BadValue', 'Cannot use $elemMatch projection on a nested field.');
        try {
          elemMatches.push([field, newQuery(v.$elemMatch as Doc)]);
        } catch (err) {
          throw fromMingoError(err);
        }
        includes++;
        continue;
      }
      if (op === '$meta') throw unsupported(`$meta projection ({ $meta: ${JSON.stringify(v.$meta)} })`);
      computed = true;
      continue;
    }
    if (typeof v !== 'number' && typeof v !== 'boolean') {
      computed = true;
      continue;
    }
    const on = Boolean(v);
    if (field === '_id') {
      idMode = on;
      continue;
    }
    if (field.endsWith('.$')) {
      if (!on) throw new MongoCommandError('Location31395', 'positional projection cannot be used with exclusion');
      positional = field.slice(0, -2);
      includes++;
      continue;
    }
    if (on) {
      if (excludes > 0) throw new MongoCommandError('Location31253', `Cannot do inclusion on field ${field} in exclusion projection`);
      includes++;
      addPath(includeTree, field.split('.'));
    } else {
      if (includes > 0) throw new MongoCommandError('Location31254', `Cannot do exclusion on field ${field} in inclusion projection`);
      excludes++;
      addPath(excludeTree, field.split('.'));
    }
  }
  if (includes > 0 && excludes > 0) throw new MongoCommandError('Location31254', 'Cannot do exclusion in inclusion projection');
  if (computed) return mingoProjector(spec);
  const inclusion = includes > 0;
  if (inclusion) for (const [p] of slices) addPath(includeTree, p);
  if (positional) addPath(includeTree, positional.split('.'));
  for (const [f] of elemMatches) includeTree.set(f, true);
  const keepId = idMode ?? true;

  return (doc: Doc, filter?: Doc) => {
    let out: Doc;
    if (inclusion) {
      out = include(doc, includeTree) as Doc;
      for (const [f, q] of elemMatches) {
        const arr = doc[f];
        const hit = Array.isArray(arr) ? arr.find((e) => isPlainObject(e) && q.test(e)) : undefined;
        if (hit === undefined) delete out[f];
        else out[f] = [hit];
      }
      if (positional) {
        const arr = getPath(doc, positional);
        if (Array.isArray(arr)) {
          const i = positionalIndex(doc, positional, filter);
          out = rewriteAt(out, positional.split('.'), () => [arr[i]]);
        }
      }
    } else {
      out = excludeTree.size > 0 ? (exclude(doc, excludeTree) as Doc) : { ...doc };
    }
    for (const [p, arg] of slices) out = rewriteAt(out, p, (v) => (Array.isArray(v) ? slice(v, arg) : v));
    if (keepId && doc._id !== undefined) {
      const { _id: _drop, ...rest } = out;
      return { _id: doc._id, ...rest };
    }
    if (!keepId) delete out._id;
    return out;
  };
}

/**
 * The paths of a plain inclusion projection (only 0/1/true/false values, no `$` anywhere, at
 * least one field other than `_id` included) for `projectIncluded` in bson-raw.ts, which copies
 * the kept elements' bytes; null for any other projection. The tree is the one
 * `compileProjection` builds, so both give the same document (not bson-raw's `compilePaths`,
 * where a numeric step means "decode the top-level field whole"; here it is a field name). Call it after `compileProjection`,
 * which validates the projection and reports its errors.
 */
export function inclusionPlan(spec: Doc | undefined): { plan: PathLevel; keepId: boolean } | null {
  if (!spec) return null;
  const tree: Tree = new Map();
  let keepId = true;
  for (const [field, v] of Object.entries(spec)) {
    if (field.includes('$') || (typeof v !== 'number' && typeof v !== 'boolean')) return null;
    if (field === '_id') keepId = Boolean(v);
    else if (v) addPath(tree, field.split('.'));
    else return null;
  }
  if (tree.size === 0) return null;
  // `_id` is kept whole or left out: compileProjection puts the document's own _id first,
  // whatever `_id.x` paths say.
  tree.delete('_id');
  return { plan: toLevel(tree), keepId };
}

function toLevel(tree: Tree): PathLevel {
  const keys = [...tree.keys()];
  return {
    keys,
    names: keys.map((k) => Buffer.from(k, 'utf8')),
    subs: keys.map((k) => {
      const t = tree.get(k)!;
      return t === true ? null : toLevel(t);
    }),
  };
}

function mingoProjector(spec: Doc): Projector {
  return (doc: Doc) => {
    try {
      const [out] = newQuery({}).find([doc], spec).all() as Doc[];
      if (!('_id' in out)) return out;
      const { _id, ...rest } = out;
      return { _id, ...rest };
    } catch (err) {
      throw fromMingoError(err);
    }
  };
}
