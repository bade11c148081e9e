import { expect } from 'chai';
import request from 'supertest';
import { createApp } from '../../src/app';
import { RegionModel } from '../../src/regions/region.model';
import { loadRegionsFromRows, resolveVillage } from '../../src/regions/region.service';
import { tokenFor } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

const app = createApp();
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

const divisions = [
  { code: '421122000000', name: '红安县' },
  { code: '421122001000', name: '城关镇' },
  { code: '421122001001', name: '张家村' },
  { code: '421122001002', name: '李家村' },
  { code: '421122002000', name: '七里坪镇' },
  { code: '421122002001', name: '张家村' },
  { code: '421122002002', name: '王家湾村' },
];

describe('regions', () => {
  let admin: string;
  let county: string;
  let village: string;

  before(async () => {
    await resetDatabase();
    [admin, county, village] = await Promise.all([
      tokenFor('admin', ['000000000000']),
      tokenFor('county', ['421122000000']),
      tokenFor('village', ['421122001001']),
    ]);
  });

  beforeEach(async () => {
    await RegionModel.deleteMany({});
  });

  describe('POST /regions', () => {
    it('stores each division with the level and parent that follow from its code', async () => {
      const res = await request(app).post('/api/v1/regions').set(bearer(county)).send({ regions: divisions });
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ count: divisions.length });
      const village1 = await RegionModel.findOne({ code: '421122001001' }).lean();
      expect(village1).to.include({ name: '张家村', level: 'village', parent: '421122001000' });
      const county1 = await RegionModel.findOne({ code: '421122000000' }).lean();
      expect(county1).to.include({ level: 'county', parent: '421100000000' });
    });

    it('upserts by code: sending a division again renames it and adds no duplicate', async () => {
      await request(app).post('/api/v1/regions').set(bearer(admin)).send({ regions: divisions }).expect(200);
      await request(app).post('/api/v1/regions').set(bearer(admin)).send({ regions: [{ code: '421122001002', name: '李家新村' }] }).expect(200);
      expect(await RegionModel.countDocuments()).to.equal(divisions.length);
      expect((await RegionModel.findOne({ code: '421122001002' }).lean())?.name).to.equal('李家新村');
    });

    it('refuses codes that are not 12 digits, unknown fields, and more than 10,000 divisions', async () => {
      for (const body of [{ regions: [{ code: '42112200100', name: 'x' }] }, { regions: [{ code: '421122001001', name: 'x', level: 'province' }] }, { regions: [] }]) {
        expect((await request(app).post('/api/v1/regions').set(bearer(admin)).send(body)).status, JSON.stringify(body)).to.equal(400);
      }
      const many = Array.from({ length: 10_001 }, (_, i) => ({ code: `4211220${String(i).padStart(5, '0')}`, name: 'x' }));
      expect((await request(app).post('/api/v1/regions').set(bearer(admin)).send({ regions: many })).status).to.equal(400);
      expect(await RegionModel.countDocuments()).to.equal(0);
    });

    it('refuses a village cadre (403) and a county cadre writing outside its county (400)', async () => {
      expect((await request(app).post('/api/v1/regions').set(bearer(village)).send({ regions: divisions })).status).to.equal(403);
      const outside = await request(app).post('/api/v1/regions').set(bearer(county)).send({ regions: [{ code: '421123001001', name: '外县村' }] });
      expect(outside.status).to.equal(400);
      expect(await RegionModel.countDocuments()).to.equal(0);
    });
  });

  describe('GET /regions', () => {
    beforeEach(async () => {
      await request(app).post('/api/v1/regions').set(bearer(admin)).send({ regions: divisions }).expect(200);
    });

    it('lists by parent, level and name, sorted by code', async () => {
      const byParent = await request(app).get('/api/v1/regions?parent=421122001000').set(bearer(village));
      expect(byParent.status).to.equal(200);
      expect(byParent.body.items.map((r: { code: string }) => r.code)).to.deep.equal(['421122001001', '421122001002']);
      expect(byParent.body.items[0]).to.deep.equal({ code: '421122001001', name: '张家村', level: 'village', parent: '421122001000' });
      const townships = await request(app).get('/api/v1/regions?level=township').set(bearer(village));
      expect(townships.body.total).to.equal(2);
      const named = await request(app).get(`/api/v1/regions?q=${encodeURIComponent('张家')}`).set(bearer(village));
      expect(named.body.items.map((r: { code: string }) => r.code)).to.deep.equal(['421122001001', '421122002001']);
    });

    it('refuses repeated and unknown query keys', async () => {
      expect((await request(app).get('/api/v1/regions?level=village&level=county').set(bearer(admin))).status).to.equal(400);
      expect((await request(app).get('/api/v1/regions?name=x').set(bearer(admin))).status).to.equal(400);
      expect((await request(app).get(`/api/v1/regions?q=${encodeURIComponent('.*')}`).set(bearer(admin))).body.total).to.equal(0);
    });
  });

  describe('resolveVillage', () => {
    beforeEach(async () => {
      await loadRegionsFromRows(divisions.map((d) => [d.code, d.name]));
    });

    it('finds a village by county, township and village names', async () => {
      expect(await resolveVillage({ county: '红安县', township: '城关镇', village: '张家村' })).to.deep.equal({ code: '421122001001' });
      expect(await resolveVillage({ county: '红安县', township: '七里坪镇', village: '张家村' })).to.deep.equal({ code: '421122002001' });
    });

    it('reads names as people write them: spaces and full-width brackets do not matter', async () => {
      expect(await resolveVillage({ county: ' 红安县', township: '城关 镇', village: '李家村 ' })).to.deep.equal({ code: '421122001002' });
    });

    it('answers ambiguous when two villages share the name, and unknown when none has it', async () => {
      expect(await resolveVillage({ county: '红安县', village: '张家村' })).to.deep.equal({ error: 'ambiguous' });
      expect(await resolveVillage({ county: '红安县', village: '王家湾村' })).to.deep.equal({ code: '421122002002' });
      expect(await resolveVillage({ county: '红安县', township: '城关镇', village: '王家湾村' })).to.deep.equal({ error: 'unknown' });
      expect(await resolveVillage({ county: '麻城市', township: '城关镇', village: '张家村' })).to.deep.equal({ error: 'unknown' });
    });
  });

  describe('loadRegionsFromRows', () => {
    it('loads arrays and objects (Chinese or English headers), reads numeric codes back exactly and reports bad rows', async () => {
      const result = await loadRegionsFromRows([
        ['421122000000', '红安县'],
        { code: 421122001000, name: '城关镇' },
        { 区划代码: '421122001001', 名称: '张家村' },
        ['4211220010', '短码'],
        ['421122001002', ''],
      ]);
      expect(result.count).to.equal(3);
      expect(result.errors.map((e) => e.row)).to.deep.equal([4, 5]);
      expect((await RegionModel.findOne({ code: '421122001000' }).lean())?.name).to.equal('城关镇');
    });
  });
});
