import { expect } from 'chai';
import { Index } from '../../../src/embedded-mongo/indexes';

function codeOf(fn: () => void): number | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: number }).code;
  }
  return undefined;
}

describe('embedded engine: index entries', () => {
  it('a non-unique compound index keeps first-field and first-two-field keys only, and finds and forgets by them', () => {
    const ix = new Index({ key: { runId: 1, categories: 1, code: 1 }, name: 'r' });
    const a = { runId: 'r1', categories: ['health', 'education'], code: 'a' };
    const b = { runId: 'r1', categories: ['health'], code: 'b' };
    ix.add('a', a);
    ix.add('b', b);
    ix.add('c', { runId: 'r2', categories: [], code: 'c' });
    expect([...ix.lookupFirst('s2:r1')!].sort()).to.deep.equal(['a', 'b']);
    expect([...ix.lookupPair('s2:r1', 's6:health')!].sort()).to.deep.equal(['a', 'b']);
    expect([...ix.lookupPair('s2:r1', 's9:education')!]).to.deep.equal(['a']);
    expect(ix.map.size).to.equal(0);
    ix.remove('a', a);
    expect([...ix.lookupFirst('s2:r1')!]).to.deep.equal(['b']);
    expect(ix.lookupPair('s2:r1', 's9:education')).to.equal(undefined);
    // A unique compound index keeps whole keys: it must refuse a repeated combination.
    const unique = new Index({ key: { runId: 1, code: 1 }, name: 'u', unique: true });
    unique.add('a', a);
    expect(unique.conflict('x', { runId: 'r1', code: 'a' })).to.deep.equal(['r1', 'a']);
  });

  it('CASE 1: a multikey unique index sees a value held by another document', () => {
    const ix = new Index({ key: { 'members.idNumber': 1 }, name: 'm', unique: true });
    ix.add('h1', { members: [{ idNumber: 'A' }, { idNumber: 'B' }] });
    expect(ix.conflict('h2', { members: [{ idNumber: 'B' }] })).to.deep.equal(['B']);
  });

  it('CASE 2: the same value twice inside one document is no conflict', () => {
    const ix = new Index({ key: { 'members.idNumber': 1 }, name: 'm', unique: true });
    const doc = { members: [{ idNumber: 'A' }, { idNumber: 'A' }] };
    expect(ix.conflict('h1', doc)).to.equal(null);
    ix.add('h1', doc);
    expect(ix.conflict('h1', doc)).to.equal(null);
  });

  it('CASE 3: removing a document frees its keys', () => {
    const ix = new Index({ key: { code: 1 }, name: 'code_1', unique: true });
    const doc = { code: 'x' };
    ix.add('a', doc);
    ix.remove('a', doc);
    expect(ix.conflict('b', { code: 'x' })).to.equal(null);
    expect(ix.map.size).to.equal(0);
  });

  it('indexes a missing field as null unless the index is sparse', () => {
    const dense = new Index({ key: { k: 1 }, name: 'k_1', unique: true });
    dense.add('a', {});
    expect(dense.conflict('b', {})).to.deep.equal([null]);
    const sparse = new Index({ key: { k: 1 }, name: 'k_1', unique: true, sparse: true });
    sparse.add('a', {});
    expect(sparse.conflict('b', {})).to.equal(null);
  });

  it('ignores documents outside the partial filter expression', () => {
    const ix = new Index({ key: { k: 1 }, name: 'k_1', unique: true, partialFilterExpression: { active: true } });
    ix.add('a', { k: 1, active: false });
    expect(ix.conflict('b', { k: 1, active: true })).to.equal(null);
    ix.add('b', { k: 1, active: true });
    expect(ix.conflict('c', { k: 1, active: true })).to.deep.equal([1]);
  });

  it('answers prefix lookups of a compound index by its first field', () => {
    const ix = new Index({ key: { region: 1, group: 1 }, name: 'rg' });
    ix.add('a', { region: 'r1', group: 'g1' });
    ix.add('b', { region: 'r1', group: 'g2' });
    ix.add('c', { region: 'r2', group: 'g1' });
    expect([...(ix.lookupFirst('s2:r1') ?? [])].sort()).to.deep.equal(['a', 'b']);
  });

  it('refuses text and geo index types with CommandNotSupported (115)', () => {
    expect(codeOf(() => new Index({ key: { body: 'text' }, name: 't' }))).to.equal(115);
    expect(codeOf(() => new Index({ key: { loc: '2dsphere' }, name: 'g' }))).to.equal(115);
  });
});
