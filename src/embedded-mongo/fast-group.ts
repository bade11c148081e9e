// A direct executor for the commonest reporting pipeline shape, `[$unwind?] $group`, with field
// path group keys and simple accumulators. mingo evaluates every expression through its
// generic machinery (a new object per unwound element, an options object per evaluation); at
// 350k members that is several seconds, where a plain loop takes a fraction of one. Anything
// outside the recognised shape returns null and runs through mingo unchanged.
import { unsupported } from './errors';
import { type Doc, isPlainObject, valueKey } from './keys';
import { Decimal128, Long } from 'bson';
import { compareValues } from './sort';

type Getter = (d: Doc) => unknown;
type Acc = { init(): unknown; add(state: any, d: Doc): any; result(state: any): unknown };

/** Aggregation field path semantics: through arrays it collects the elements' values. */
function fieldPath(v: unknown, parts: string[], i: number): unknown {
  if (i === parts.length) return v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const e of v) {
      if (!isPlainObject(e) && !Array.isArray(e)) continue;
      const r = fieldPath(e, parts, i);
      if (r !== undefined) out.push(r);
    }
    return out;
  }
  if (isPlainObject(v)) return fieldPath(v[parts[i]], parts, i + 1);
  return undefined;
}

function getter(expr: unknown): Getter | null {
  if (typeof expr === 'string' && expr.startsWith('$') && !expr.startsWith('$$')) {
    const parts = expr.slice(1).split('.');
    return parts.length === 1 ? (d) => d[parts[0]] : (d) => fieldPath(d, parts, 0);
  }
  if (expr === null || typeof expr === 'number' || typeof expr === 'boolean' || (typeof expr === 'string' && !expr.startsWith('$'))) return () => expr;
  return null;
}

function exact(v: unknown): boolean {
  return v instanceof Decimal128 || v instanceof Long;
}

function accumulator(spec: unknown): Acc | null {
  if (!isPlainObject(spec) || Object.keys(spec).length !== 1) return null;
  const [op, arg] = Object.entries(spec)[0];
  if (op === '$count' && isPlainObject(arg) && Object.keys(arg).length === 0) {
    return { init: () => 0, add: (n: number) => n + 1, result: (n) => n };
  }
  const get = getter(arg);
  if (!get) return null;
  switch (op) {
    case '$sum':
      return {
        init: () => 0,
        add: (s: number, d) => {
          const v = get(d);
          if (typeof v === 'number') return s + v;
          if (exact(v)) throw unsupported('Decimal128 or 64-bit integer arithmetic ($sum)');
          return s;
        },
        result: (s) => s,
      };
    case '$avg':
      return {
        init: () => [0, 0],
        add: (s: [number, number], d) => {
          const v = get(d);
          if (typeof v === 'number') return [s[0] + v, s[1] + 1];
          if (exact(v)) throw unsupported('Decimal128 or 64-bit integer arithmetic ($avg)');
          return s;
        },
        result: (s: [number, number]) => (s[1] === 0 ? null : s[0] / s[1]),
      };
    case '$min':
    case '$max': {
      const sign = op === '$min' ? -1 : 1;
      return {
        init: () => undefined,
        add: (s, d) => {
          const v = get(d);
          if (v === undefined || v === null) return s;
          return s === undefined || Math.sign(compareValues(v, s)) === sign ? v : s;
        },
        result: (s) => (s === undefined ? null : s),
      };
    }
    case '$first':
      return { init: () => [false, null], add: (s: [boolean, unknown], d) => (s[0] ? s : [true, get(d) ?? null]), result: (s) => s[1] };
    case '$last':
      return { init: () => null, add: (_s, d) => get(d) ?? null, result: (s) => s };
    case '$push':
      return {
        init: () => [] as unknown[],
        add: (s: unknown[], d) => {
          const v = get(d);
          if (v !== undefined) s.push(v);
          return s;
        },
        result: (s) => s,
      };
    case '$addToSet':
      return {
        init: () => new Map<string, unknown>(),
        add: (s: Map<string, unknown>, d) => {
          const v = get(d);
          if (v !== undefined) {
            const k = valueKey(v);
            if (!s.has(k)) s.set(k, v);
          }
          return s;
        },
        result: (s: Map<string, unknown>) => [...s.values()],
      };
    default:
      return null;
  }
}

/** Run `[$unwind?, $group]` directly; returns the groups and the remaining stages, or null. */
export function fastGroup(input: Iterable<Doc>, pipeline: Doc[]): { groups: Doc[]; rest: Doc[] } | null {
  let i = 0;
  let unwindField: string | undefined;
  let preserve = false;
  const first = pipeline[0];
  if (first && '$unwind' in first) {
    const arg = first.$unwind;
    const path = typeof arg === 'string' ? arg : isPlainObject(arg) ? arg.path : undefined;
    if (typeof path !== 'string' || !path.startsWith('$') || path.includes('.')) return null;
    if (isPlainObject(arg) && (arg.includeArrayIndex !== undefined || Object.keys(arg).some((k) => k !== 'path' && k !== 'preserveNullAndEmptyArrays'))) return null;
    preserve = isPlainObject(arg) && arg.preserveNullAndEmptyArrays === true;
    unwindField = path.slice(1);
    i = 1;
  }
  const group = pipeline[i];
  if (!group || !isPlainObject(group.$group) || !('_id' in group.$group)) return null;
  const keyOf = getter(group.$group._id);
  if (!keyOf) return null;
  const accs: [string, Acc][] = [];
  for (const [name, spec] of Object.entries(group.$group)) {
    if (name === '_id') continue;
    const acc = accumulator(spec);
    if (!acc) return null;
    accs.push([name, acc]);
  }
  const groups = new Map<string, { key: unknown; states: unknown[] }>();
  const feed = (d: Doc) => {
    const key = keyOf(d) ?? null;
    const k = valueKey(key);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, states: accs.map(([, a]) => a.init()) }));
    for (let j = 0; j < accs.length; j++) g.states[j] = accs[j][1].add(g.states[j], d);
  };
  for (const d of input) {
    if (unwindField === undefined) {
      feed(d);
      continue;
    }
    const v = d[unwindField];
    if (Array.isArray(v)) {
      if (v.length === 0) {
        if (preserve) feed(withoutField(d, unwindField));
        continue;
      }
      for (const e of v) feed({ ...d, [unwindField]: e });
    } else if (v === undefined || v === null) {
      if (preserve) feed(d);
    } else {
      feed(d);
    }
  }
  const out: Doc[] = [];
  for (const g of groups.values()) {
    const doc: Doc = { _id: g.key };
    accs.forEach(([name, acc], j) => (doc[name] = acc.result(g.states[j])));
    out.push(doc);
  }
  return { groups: out, rest: pipeline.slice(i + 1) };
}

function withoutField(d: Doc, f: string): Doc {
  const { [f]: _drop, ...rest } = d;
  return rest;
}
