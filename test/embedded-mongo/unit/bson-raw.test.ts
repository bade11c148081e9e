import { expect } from 'chai';
import { Double, Long, ObjectId, deserialize, serialize } from 'bson';
import { TYPED, compilePaths, hasRetypedNumbers, pickPaths, withIdFirstBytes } from '../../../src/embedded-mongo/bson-raw';

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
});
