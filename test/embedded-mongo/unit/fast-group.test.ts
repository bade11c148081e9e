import { expect } from 'chai';
import { fastGroup } from '../../../src/embedded-mongo/fast-group';
import { newAggregator } from '../../../src/embedded-mongo/mingo-context';

const households = [
  { code: 'h1', region: 'a', income: 100, members: [{ health: 'healthy', age: 30 }, { health: 'chronic', age: 60 }] },
  { code: 'h2', region: 'a', income: 300, members: [{ health: 'healthy', age: 5 }] },
  { code: 'h3', region: 'b', members: [] },
  { code: 'h4', region: 'b', income: 50 },
  { code: 'h5', income: 'n/a', members: [{ age: 40 }] },
];

function viaMingo(pipeline: Record<string, unknown>[]) {
  return newAggregator(pipeline).run(households.map((h) => structuredClone(h)));
}

function byId(rows: Record<string, any>[]) {
  return [...rows].sort((x, y) => String(x._id).localeCompare(String(y._id)));
}

describe('embedded engine: direct $unwind/$group executor', () => {
  const cases: [string, Record<string, unknown>[]][] = [
    ['counts unwound members by a nested field', [{ $unwind: '$members' }, { $group: { _id: '$members.health', n: { $sum: 1 } } }]],
    ['keeps empty and missing arrays with preserveNullAndEmptyArrays', [{ $unwind: { path: '$members', preserveNullAndEmptyArrays: true } }, { $group: { _id: '$region', n: { $sum: 1 } } }]],
    ['sums, averages and takes extremes, skipping non-numbers', [{ $group: { _id: '$region', total: { $sum: '$income' }, avg: { $avg: '$income' }, lo: { $min: '$income' }, hi: { $max: '$income' } } }]],
    ['collects values, skipping missing ones', [{ $unwind: '$members' }, { $group: { _id: null, ages: { $push: '$members.age' }, kinds: { $addToSet: '$members.health' } } }]],
  ];
  for (const [title, pipeline] of cases) {
    it(`${title}, as mingo does`, () => {
      const fast = fastGroup(households, pipeline);
      expect(fast, 'the pipeline is in the recognised shape').to.not.equal(null);
      const expected = byId(viaMingo(pipeline));
      const actual = byId(fast!.groups);
      // mingo pushes null for a missing value where MongoDB skips it; our mingo context does too.
      expect(actual).to.deep.equal(expected);
    });
  }

  it('leaves pipelines of other shapes to mingo', () => {
    expect(fastGroup(households, [{ $group: { _id: { r: '$region' }, n: { $sum: 1 } } }])).to.equal(null);
    expect(fastGroup(households, [{ $unwind: '$members.x' }, { $group: { _id: null } }])).to.equal(null);
    expect(fastGroup(households, [{ $match: {} }])).to.equal(null);
  });
});
