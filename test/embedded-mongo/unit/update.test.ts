import { expect } from 'chai';
import { applyUpdate, buildUpsert } from '../../../src/embedded-mongo/update';

function codeOf(fn: () => void): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

describe('embedded engine: updates', () => {
  it('never modifies the stored document it starts from', () => {
    const stored = Object.freeze({ _id: 1, a: Object.freeze({ b: 1, c: Object.freeze([1]) }), n: 1 });
    const next = applyUpdate(stored, { $set: { 'a.b': 2 }, $inc: { n: 1 }, $unset: { 'a.c': '' } }, undefined, false);
    expect(next).to.deep.equal({ _id: 1, a: { b: 2 }, n: 2 });
    expect(stored).to.deep.equal({ _id: 1, a: { b: 1, c: [1] }, n: 1 });
    const pushed = applyUpdate(stored, { $push: { 'a.c': 2 } }, undefined, false);
    expect(pushed.a.c).to.deep.equal([1, 2]);
    expect(stored.a.c).to.deep.equal([1]);
  });

  it('applies $setOnInsert only when the upsert inserts', () => {
    const u = { $set: { a: 1 }, $setOnInsert: { created: true } };
    expect(buildUpsert({ code: 'x' }, u, undefined)).to.include({ code: 'x', a: 1, created: true });
    expect(applyUpdate({ _id: 1, code: 'x' }, u, undefined, false)).to.deep.equal({ _id: 1, code: 'x', a: 1 });
  });

  it('puts _id first in an upserted document and takes it from the filter', () => {
    const doc = buildUpsert({ _id: 7, code: 'x' }, { $set: { a: 1 } }, undefined);
    expect(Object.keys(doc)[0]).to.equal('_id');
    expect(doc._id).to.equal(7);
  });

  it('updates the matched array element through the positional $', () => {
    const doc = { _id: 1, members: [{ id: 'a', h: 1 }, { id: 'b', h: 1 }] };
    const next = applyUpdate(doc, { $set: { 'members.$.h': 2 } }, undefined, false, { 'members.id': 'b' });
    expect(next.members).to.deep.equal([{ id: 'a', h: 1 }, { id: 'b', h: 2 }]);
  });

  it('answers MongoDB codes for bad updates', () => {
    expect(codeOf(() => applyUpdate({ _id: 1, a: 'x' }, { $inc: { a: 1 } }, undefined, false)), '$inc on a string').to.equal(14);
    expect(codeOf(() => applyUpdate({ _id: 1 }, { $set: { _id: 2 } }, undefined, false)), 'changing _id').to.equal(66);
    expect(codeOf(() => applyUpdate({ _id: 1, a: 5 }, { $set: { 'a.b': 1 } }, undefined, false)), 'field inside a scalar').to.equal(28);
    expect(codeOf(() => applyUpdate({ _id: 1, a: 1 }, { $set: { a: 1 }, $inc: { a: 1 } }, undefined, false)), 'conflicting paths').to.equal(40);
  });
});
