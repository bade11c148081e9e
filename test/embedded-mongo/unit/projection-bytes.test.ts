// Plain inclusion projections built from stored bytes (bson-raw.ts `projectIncluded`) against the
// decoded path they replace in find replies (projection.ts `compileProjection` over the typed
// top-level fields, encoded again by the reply): for every document and projection below, the
// bytes must be exactly those the decoded path's result encodes to.
//
// CASES the generated documents cover:
//  1. Nested documents, arrays of scalars, of documents and of arrays, empty documents and arrays.
//  2. Missing paths, nulls, paths through scalars (the field is dropped).
//  3. Double (integral too), Int32, Long, Decimal128, dates, ObjectIds, binary, Chinese strings.
//  4. `_id` first, not first, missing, or a document (`_id.x` paths keep it whole).
//  5. Numeric path steps ('a.0.b') name a field, as everywhere in the current projection code:
//     through an array they match no element's field; a sub-document may have a field '0'.
//  6. Sub-documents bson decodes as DBRefs: a path through one drops it, as through a scalar.
//  7. Overlapping paths ('a' with 'a.b'), which compileProjection accepts and merges.
import { expect } from 'chai';
import { Binary, DBRef, Decimal128, Double, Int32, Long, ObjectId, deserialize, serialize } from 'bson';
import { TYPED, pickFields, projectIncluded } from '../../../src/embedded-mongo/bson-raw';
import { compileProjection, inclusionPlan } from '../../../src/embedded-mongo/projection';
import type { Doc } from '../../../src/embedded-mongo/keys';

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'c', '姓名', '0', 'members'];

function generator(seed: number) {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const scalar = (): unknown => pick([
    () => null, () => true, () => 'x', () => '张三丰', () => new Double(2), () => new Double(-0.5), () => new Int32(7),
    () => Long.fromString('9007199254740993'), () => Long.fromNumber(3), () => Decimal128.fromString('1.10'),
    () => new Date(86_400_000), () => new ObjectId('65a1b2c3d4e5f60718293a4b'), () => new Binary(Buffer.from([1, 2, 3])),
  ])();
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth >= 3 || r < 0.45) return scalar();
    if (r < 0.7) return doc(depth + 1);
    if (r < 0.75) return new DBRef('households', new ObjectId('65a1b2c3d4e5f60718293a4b'), undefined, { b: 1 });
    if (r < 0.78) return { $ref: 7, $id: 1, b: 2 }; // not a DBRef: $ref is not a string
    return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
  };
  const doc = (depth: number): Doc => {
    const out: Doc = {};
    // A field named '0' only below the top: JS objects put such names first, so the decoded path
    // answers `{ 0: …, _id: … }` where mongod (and the bytes) put _id first; below the top both
    // see it first, where a JS object put it when it was encoded.
    for (let n = Math.floor(rnd() * 4); n > 0; n--) out[pick(depth === 0 ? NAMES.filter((k) => k !== '0') : NAMES)] = value(depth);
    return out;
  };
  const stored = (): Buffer => {
    const body = doc(0);
    const id = pick(['first', 'middle', 'none', 'document']);
    if (id === 'none') return Buffer.from(serialize(body));
    if (id === 'document') return Buffer.from(serialize({ _id: { a: 1, b: new Double(1) }, ...body }));
    if (id === 'first') return Buffer.from(serialize({ _id: new ObjectId(), ...body }));
    return Buffer.from(serialize({ z: 1, _id: 'id-in-the-middle', ...body }));
  };
  const projection = (): Doc => {
    const out: Doc = {};
    for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
      const path = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(NAMES)).join('.');
      out[path] = pick([1, true]);
    }
    if (rnd() < 0.1) out['_id.a'] = 1;
    const id = rnd();
    if (id < 0.3) out._id = 0;
    else if (id < 0.45) out._id = 1;
    return out;
  };
  return { stored, projection };
}

/** What the find reply sent before: the decoded projection of the typed top-level fields, encoded. */
function decodedPath(raw: Buffer, projection: Doc): Buffer {
  const top = new Set(['_id', ...Object.keys(projection).map((k) => k.split('.')[0])]);
  const project = compileProjection(projection)!;
  return Buffer.from(serialize(project(pickFields(raw, top, TYPED))));
}

function bytesPath(raw: Buffer, projection: Doc): Buffer {
  const included = inclusionPlan(projection)!;
  return projectIncluded(raw, included.plan, included.keepId);
}

describe('embedded engine: plain inclusion projections from stored bytes', () => {
  it('gives exactly the bytes of the decoded path for generated documents and projections', () => {
    const { stored, projection } = generator(20261127);
    const docs = Array.from({ length: 300 }, stored);
    const projections = Array.from({ length: 60 }, projection);
    let compared = 0;
    for (const p of projections) {
      for (const raw of docs) {
        const expected = decodedPath(raw, p);
        const actual = bytesPath(raw, p);
        if (!actual.equals(expected)) {
          expect(deserialize(actual, TYPED), `projection ${JSON.stringify(p)} of ${JSON.stringify(deserialize(raw))}`).to.deep.equal(deserialize(expected, TYPED));
          expect.fail(`same values, different bytes: projection ${JSON.stringify(p)} of ${raw.toString('hex')}`);
        }
        compared++;
      }
    }
    expect(compared).to.equal(300 * 60);
  });

  it('keeps each value\'s BSON type: a Double stays a Double, a Long a Long', () => {
    const raw = Buffer.from(serialize({ _id: 1, d: new Double(2), l: Long.fromNumber(2), m: [{ d: new Double(3), i: new Int32(3) }, 5] }));
    const out = deserialize(bytesPath(raw, { d: 1, l: 1, 'm.d': 1 }), TYPED);
    expect(out.d).to.be.instanceOf(Double);
    expect(out.l).to.be.instanceOf(Long);
    expect(out.m).to.have.length(1);
    expect(out.m[0].d).to.be.instanceOf(Double);
    expect(Object.keys(out)).to.deep.equal(['_id', 'd', 'l', 'm']);
  });

  it('numbers the kept elements of an array again from 0', () => {
    const raw = Buffer.from(serialize({ _id: 1, m: [1, { a: 1, b: 2 }, 'x', [{ a: 2 }, 3], { b: 3 }] }));
    const out = bytesPath(raw, { 'm.a': 1, _id: 0 });
    expect(out.equals(Buffer.from(serialize({ m: [{ a: 1 }, [{ a: 2 }], {}] })))).to.equal(true);
    // Past "9": keys of two digits, from elements whose stored keys were longer.
    const long = Buffer.from(serialize({ m: Array.from({ length: 30 }, (_, i) => (i % 2 ? { a: i, b: 0 } : i)) }));
    expect(bytesPath(long, { 'm.a': 1 }).equals(Buffer.from(serialize({ m: Array.from({ length: 15 }, (_, i) => ({ a: 2 * i + 1 })) })))).to.equal(true);
  });

  it('puts _id first when it is stored elsewhere, and leaves it out for _id: 0', () => {
    const raw = Buffer.from(serialize({ b: 1, _id: 'k', a: 2 }));
    expect(Object.keys(deserialize(bytesPath(raw, { a: 1, b: 1 })))).to.deep.equal(['_id', 'b', 'a']);
    expect(deserialize(bytesPath(raw, { a: 1, _id: 0 }))).to.deep.equal({ a: 2 });
  });

  it('projects a stored document whose own fields look like a DBRef\'s, as the decoded path does', () => {
    const raw = Buffer.from(serialize({ _id: 1, $ref: 'x', $id: 2, a: { $ref: 'y', $id: 3, b: 1 }, c: { $ref: 'y', $id: null, b: 1 } }));
    for (const p of [{ a: 1 }, { 'a.b': 1, 'c.b': 1 }, { $ref: 1 }]) {
      if (!inclusionPlan(p)) continue; // `$ref` is not a plain inclusion
      expect(bytesPath(raw, p).equals(decodedPath(raw, p)), JSON.stringify(p)).to.equal(true);
    }
    // 'a' decodes as a DBRef (dropped by a path through it); 'c' does not ($id is null).
    expect(deserialize(bytesPath(raw, { 'a.b': 1, 'c.b': 1 }))).to.deep.equal({ _id: 1, c: { b: 1 } });
  });

  it('projects a document past 1 MB, which gets working room of its own', () => {
    const raw = Buffer.from(serialize({ _id: 1, big: 'x'.repeat(1_200_000), m: Array.from({ length: 500 }, (_, i) => ({ a: i, b: 'y'.repeat(100) })) }));
    for (const p of [{ big: 1, 'm.a': 1 }, { 'm.b': 1, _id: 0 }]) expect(bytesPath(raw, p).equals(decodedPath(raw, p)), JSON.stringify(p)).to.equal(true);
  });

  it('answers an empty document when no included field is there', () => {
    const raw = Buffer.from(serialize({ a: 1 }));
    expect(bytesPath(raw, { zz: 1 }).equals(Buffer.from(serialize({})))).to.equal(true);
  });

  it('keeps fields named like array indexes in stored order, as mongod does (the decoded path sorts them first)', () => {
    // A Map keeps its order when encoded; an object literal would already put 2020 first.
    const raw = Buffer.from(serialize({ _id: 1, income: new Map<string, number>([['2021', 5], ['2020', 4], ['wage', 3]]) }));
    const out = bytesPath(raw, { 'income.2021': 1, 'income.wage': 1, 'income.2020': 1 });
    // Reading the element names from the bytes: a decoded object would reorder them again.
    const names = [...out.subarray(out.indexOf('income') + 11).toString('latin1').matchAll(/(2021|2020|wage)/g)].map((m) => m[0]);
    expect(names).to.deep.equal(['2021', '2020', 'wage']);
  });

  it('leaves every projection that is not a plain inclusion to the decoded path', () => {
    for (const p of [{ a: 0 }, { _id: 1 }, { _id: 0 }, { a: { $slice: 1 } }, { 'a.$': 1 }, { a: { $elemMatch: { b: 1 } } }, { a: '$b' }, { a: 1, b: { $slice: 2 } }]) {
      expect(inclusionPlan(p), JSON.stringify(p)).to.equal(null);
    }
    expect(inclusionPlan({ a: 1, _id: 0 })?.keepId).to.equal(false);
    expect(inclusionPlan({ a: true, 'b.c': 1 })?.plan.keys).to.deep.equal(['a', 'b']);
  });
});
