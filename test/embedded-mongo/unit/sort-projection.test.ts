import { expect } from 'chai';
import { ObjectId } from 'bson';
import { compileProjection } from '../../../src/embedded-mongo/projection';
import { compareValues, parseSort, sortDocs } from '../../../src/embedded-mongo/sort';

describe('embedded engine: sort order and projections', () => {
  it('orders values of different types by BSON type rank (null < numbers < strings < objects < ObjectId < dates)', () => {
    const values = [new Date(0), new ObjectId('000000000000000000000000'), { a: 1 }, 'a', 2, null];
    const sorted = [...values].sort(compareValues);
    expect(sorted).to.deep.equal([null, 2, 'a', { a: 1 }, values[1], values[0]]);
  });

  it('sorts an array field by its smallest element ascending and its largest descending', () => {
    const docs = [{ n: 1, a: [5, 1] }, { n: 2, a: [3] }, { n: 3, a: [4, 9] }];
    expect(sortDocs([...docs], parseSort({ a: 1 }) as never).map((d) => d.n)).to.deep.equal([1, 2, 3]);
    expect(sortDocs([...docs], parseSort({ a: -1 }) as never).map((d) => d.n)).to.deep.equal([3, 1, 2]);
  });

  it('orders strings by code point, so characters beyond the BMP sort after U+FF5E', () => {
    expect(['𠀀', '～', '张', 'a'].sort(compareValues)).to.deep.equal(['a', '张', '～', '𠀀']);
  });

  it('keeps the original order of equal keys (stable sort)', () => {
    const docs = [{ n: 1, k: 0 }, { n: 2, k: 0 }, { n: 3, k: 0 }];
    expect(sortDocs([...docs], parseSort({ k: -1 }) as never).map((d) => d.n)).to.deep.equal([1, 2, 3]);
  });

  it('puts _id first in an inclusion projection and keeps document order for the rest', () => {
    const project = compileProjection({ c: 1, a: 1 })!;
    expect(Object.keys(project({ a: 1, b: 2, c: 3, _id: 9 }))).to.deep.equal(['_id', 'a', 'c']);
  });

  it('keeps every other field when a projection only slices an array', () => {
    const project = compileProjection({ list: { $slice: -2 } })!;
    expect(project({ _id: 1, list: [1, 2, 3], b: 'x' })).to.deep.equal({ _id: 1, list: [2, 3], b: 'x' });
  });

  it('returns only the matched element for a positional projection', () => {
    const project = compileProjection({ 'members.$': 1 })!;
    const doc = { _id: 1, members: [{ id: 'a' }, { id: 'b' }], other: true };
    expect(project(doc, { 'members.id': 'b' })).to.deep.equal({ _id: 1, members: [{ id: 'b' }] });
  });

  it('refuses a projection that mixes inclusion and exclusion (31254)', () => {
    let code: number | undefined;
    try {
      compileProjection({ a: 1, b: 0 });
    } catch (err) {
      code = (err as { code?: number }).code;
    }
    expect(code).to.equal(31254);
  });
});
