import { expect } from 'chai';
import { BSONSymbol, Binary, Code, Decimal128, Double, Long, MaxKey, MinKey, ObjectId, Timestamp, deserialize, serialize } from 'bson';
import { TYPED, bsonProblem, compilePaths, hasRetypedNumbers, pickPaths, withIdFirstBytes } from '../../../src/embedded-mongo/bson-raw';

describe('embedded engine: reading stored BSON', () => {
  const doc = {
    _id: 1, code: 'h1', when: new Date(0), n: 2, d: 2.5, big: Long.fromString('9007199254740993'), nul: null, yes: true,
    members: [{ name: 'a', health: 'x', extra: { deep: 1 } }, 'scalar', { name: 'b' }, [{ health: 'nested' }]],
    income: { wage: 1, other: 2 },
  };
  const raw = Buffer.from(serialize(doc));

  it('decodes only the asked paths, as bson would decode them', () => {
    expect(pickPaths(raw, compilePaths(['code', 'when', 'n', 'd', 'big', 'nul', 'yes', 'income.wage']))).to.deep.equal({
      code: 'h1', when: new Date(0), n: 2, d: 2.5, big: doc.big, nul: null, yes: true, income: { wage: 1 },
    });
  });

  it('applies a sub-path to every element of an array and keeps scalar elements', () => {
    expect(pickPaths(raw, compilePaths(['members.health'], ['members']))).to.deep.equal({
      members: [{ health: 'x' }, 'scalar', {}, [{ health: 'nested' }]],
    });
    // A numeric step decodes the whole top-level field: paths here apply to every element.
    expect(pickPaths(raw, compilePaths(['members.0.name'])).members).to.deep.equal(deserialize(raw).members);
  });

  it('finds the numbers bson\'s defaults would retype', () => {
    expect(hasRetypedNumbers(raw)).to.equal(false);
    expect(hasRetypedNumbers(Buffer.from(serialize({ a: { b: [new Double(2)] } })))).to.equal(true);
    expect(hasRetypedNumbers(Buffer.from(serialize({ a: Long.fromNumber(5) })))).to.equal(true);
    expect(hasRetypedNumbers(Buffer.from(serialize({ a: new Double(2.5), b: 3 })))).to.equal(false);
  });

  it('moves _id first, or puts a generated one there, without re-encoding values', () => {
    const moved = withIdFirstBytes(Buffer.from(serialize({ a: new Double(1), _id: 'x', b: 2 })), new ObjectId());
    const back = deserialize(moved, TYPED);
    expect(Object.keys(back)).to.deep.equal(['_id', 'a', 'b']);
    expect(back.a).to.be.instanceOf(Double);
    const id = new ObjectId();
    const added = deserialize(withIdFirstBytes(Buffer.from(serialize({ a: new Double(1) })), id), TYPED);
    expect(Object.keys(added)).to.deep.equal(['_id', 'a']);
    expect(added._id.toHexString()).to.equal(id.toHexString());
    expect(added.a).to.be.instanceOf(Double);
  });

  describe('checking bytes as BSON without decoding them (bsonProblem)', () => {
    const every = Buffer.from(serialize({
      _id: new ObjectId(), s: '户主 name', i: 1, d: 2.5, l: Long.fromNumber(2 ** 40), dec: Decimal128.fromString('1.5'),
      t: true, f: false, n: null, u: undefined, date: new Date(0), re: /a.b/i, bin: new Binary(Buffer.from([1, 2, 3])),
      old: new Binary(Buffer.from([4, 5]), 2), code: new Code('x()'), scoped: new Code('y()', { v: 1 }), ts: new Timestamp({ t: 1, i: 2 }),
      min: new MinKey(), max: new MaxKey(), sym: new BSONSymbol('s'),
      nested: { a: [1, 'two', { three: [3] }], empty: {}, none: [] },
    }, { ignoreUndefined: false }));

    it('passes every BSON type bson writes', () => {
      expect(bsonProblem(every)).to.equal(null);
      expect(bsonProblem(Buffer.from(serialize({})))).to.equal(null);
    });

    it('rejects exactly what bson\'s decoding rejects, over 20,000 damaged copies', () => {
      // A seeded generator: the same damage every run. Each copy gets one to three bytes
      // overwritten, or is cut short; whenever bson decodes a copy, bsonProblem must pass it,
      // and whenever bson throws, bsonProblem must name a problem.
      let seed = 20240630;
      const random = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      let rejected = 0;
      for (let k = 0; k < 20_000; k++) {
        let copy = Buffer.from(every);
        if (random(10) === 0) copy = copy.subarray(0, random(copy.length));
        else for (let j = 0, m = 1 + random(3); j < m; j++) copy[random(copy.length)] = random(4) === 0 ? random(256) : [0, 0xff, 0x7f, 1][random(4)];
        let decodes = true;
        try {
          if (copy.length < 5 || copy.readInt32LE(0) !== copy.length) throw new Error('size');
          deserialize(copy);
        } catch {
          decodes = false;
        }
        const problem = bsonProblem(copy);
        if (!decodes) rejected++;
        expect(problem === null, `copy ${k}: bson ${decodes ? 'decodes it' : 'throws'}, bsonProblem says ${problem}`).to.equal(decodes);
      }
      expect(rejected).to.be.greaterThan(1000);
    });
  });
});

