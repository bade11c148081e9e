import { expect } from 'chai';
import {
  isRegionCode, isWithin, isWithinAny, parentRegion, regionLevel, regionPrefix, subtreeFilter,
} from '../../src/regions/region-code';

describe('region-code (统计用区划代码)', () => {
  it('tells the level from the trailing zeros', () => {
    expect(regionLevel('000000000000')).to.equal('country');
    expect(regionLevel('420000000000')).to.equal('province');
    expect(regionLevel('421100000000')).to.equal('city');
    expect(regionLevel('421122000000')).to.equal('county');
    expect(regionLevel('421122001000')).to.equal('township');
    expect(regionLevel('421122001001')).to.equal('village');
  });

  it('finds the parent one level up, and none above a province', () => {
    expect(parentRegion('421122001001')).to.equal('421122001000');
    expect(parentRegion('421122001000')).to.equal('421122000000');
    expect(parentRegion('421122000000')).to.equal('421100000000');
    expect(parentRegion('421100000000')).to.equal('420000000000');
    expect(parentRegion('420000000000')).to.equal(null);
    expect(parentRegion('000000000000')).to.equal(null);
  });

  it('checks subtree membership by significant prefix', () => {
    expect(regionPrefix('421122000000')).to.equal('421122');
    expect(isWithin('421122001001', '421122000000')).to.equal(true);
    expect(isWithin('421123001001', '421122000000')).to.equal(false);
    expect(isWithin('421122001001', '421122001001')).to.equal(true);
    // 421122001010 is not inside 421122001001 although it shares 11 digits.
    expect(isWithin('421122001010', '421122001001')).to.equal(false);
    expect(isWithinAny('421122001001', ['421123000000', '421122001000'])).to.equal(true);
    expect(isWithinAny('421122001001', [])).to.equal(false);
    expect(isWithin('421122001001', '000000000000')).to.equal(true);
  });

  it('recognises 12-digit codes only', () => {
    expect(isRegionCode('421122001001')).to.equal(true);
    for (const bad of ['42112200100', '4211220010011', '42112200100a', 421122001001, null]) expect(isRegionCode(bad)).to.equal(false);
  });

  it('builds an anchored prefix filter, or no filter for the whole country', () => {
    const f = subtreeFilter('regionCode', ['421122000000', '421123001000']) as { regionCode: { $in: RegExp[] } };
    expect(f.regionCode.$in.map(String)).to.deep.equal(['/^421122/', '/^421123001/']);
    expect(subtreeFilter('regionCode', ['000000000000'])).to.deep.equal({});
    expect(subtreeFilter('regionCode', [])).to.deep.equal({ regionCode: { $in: [] } });
  });
});
