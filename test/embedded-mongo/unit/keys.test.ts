import { expect } from 'chai';
import { Long, ObjectId } from 'bson';
import { cloneDoc, pathValues, valueKey } from '../../../src/embedded-mongo/keys';

describe('embedded engine: canonical value keys', () => {
  it('treats numbers of different BSON types as equal, as MongoDB equality does', () => {
    expect(valueKey(1)).to.equal(valueKey(Long.fromNumber(1)));
    expect(valueKey(0)).to.equal(valueKey(-0));
  });

  it('keeps strings, ObjectIds and numbers apart', () => {
    const id = new ObjectId();
    expect(valueKey(id.toHexString())).to.not.equal(valueKey(id));
    expect(valueKey('1')).to.not.equal(valueKey(1));
  });

  it('is sensitive to field order in embedded documents', () => {
    expect(valueKey({ a: 1, b: 2 })).to.not.equal(valueKey({ b: 2, a: 1 }));
  });

  it('cannot be fooled by separators inside strings', () => {
    expect(valueKey(['a,', 'b'])).to.not.equal(valueKey(['a', ',b']));
  });

  it('fans out over arrays along a path like a multikey index', () => {
    const doc = { members: [{ id: 'x' }, { id: 'y' }, { other: 1 }], tags: [] };
    expect(pathValues(doc, ['members', 'id'])).to.deep.equal(['x', 'y']);
    expect(pathValues(doc, ['tags'])).to.deep.equal([undefined]);
    expect(pathValues(doc, ['missing'])).to.deep.equal([]);
  });

  it('deep-copies plain objects and dates but shares BSON value objects', () => {
    const id = new ObjectId();
    const doc = { _id: id, when: new Date(5), nested: { list: [1, { x: 2 }] } };
    const copy = cloneDoc(doc);
    expect(copy).to.deep.equal(doc);
    expect(copy.nested).to.not.equal(doc.nested);
    expect(copy.nested.list[1]).to.not.equal(doc.nested.list[1]);
    expect(copy.when).to.not.equal(doc.when);
    expect(copy._id).to.equal(id);
  });
});
