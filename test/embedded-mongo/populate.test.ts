// Compatibility: Mongoose populate (issue 2, "populate"), which issues follow-up finds with
// $in over the referenced ids, with select, match and sort options.
import { expect } from 'chai';
import mongoose from 'mongoose';
import { dropCollectionsStartingWith, resetDatabase } from '../helpers/db';

const unitSchema = new mongoose.Schema(
  { name: String, level: String },
  { collection: 'compat_populate_units', autoIndex: false, autoCreate: false },
);
const Unit = mongoose.model('CompatPopulateUnit', unitSchema);

const helperSchema = new mongoose.Schema(
  { name: String, phone: String, unit: { type: mongoose.Schema.Types.ObjectId, ref: 'CompatPopulateUnit' } },
  { collection: 'compat_populate_helpers', autoIndex: false, autoCreate: false },
);
const Helper = mongoose.model('CompatPopulateHelper', helperSchema);

const householdSchema = new mongoose.Schema(
  {
    code: String,
    leadHelper: { type: mongoose.Schema.Types.ObjectId, ref: 'CompatPopulateHelper' },
    helpers: [{ type: mongoose.Schema.Types.ObjectId, ref: 'CompatPopulateHelper' }],
  },
  {
    collection: 'compat_populate_households', autoIndex: false, autoCreate: false,
    toObject: { virtuals: true }, toJSON: { virtuals: true },
  },
);
householdSchema.virtual('visits', { ref: 'CompatPopulateVisit', localField: 'code', foreignField: 'householdCode' });
const Household = mongoose.model('CompatPopulateHousehold', householdSchema);

const visitSchema = new mongoose.Schema(
  { householdCode: String, date: Date, visitor: String },
  { collection: 'compat_populate_visits', autoIndex: false, autoCreate: false },
);
const Visit = mongoose.model('CompatPopulateVisit', visitSchema);

describe('embedded-mongo compatibility: populate', () => {
  let county: any;
  let wang: any;
  let li: any;
  let zhao: any;

  before(async () => {
    await resetDatabase();
    await dropCollectionsStartingWith('compat_populate_');
    [county] = await Unit.create([{ name: '县农业农村局', level: 'county' }]);
    [wang, li, zhao] = await Helper.create([
      { name: '王伟', phone: '13800000001', unit: county._id },
      { name: '李明', phone: '13800000002', unit: county._id },
      { name: '赵强', phone: '13800000003' },
    ]);
    await Household.create([
      { code: 'p1', leadHelper: wang._id, helpers: [li._id, zhao._id, wang._id] },
      { code: 'p2', leadHelper: li._id, helpers: [] },
      { code: 'p3', leadHelper: new mongoose.Types.ObjectId(), helpers: [new mongoose.Types.ObjectId(), li._id] },
    ]);
    await Visit.create([
      { householdCode: 'p1', date: new Date('2024-05-10'), visitor: '李明' },
      { householdCode: 'p1', date: new Date('2024-01-10'), visitor: '王伟' },
      { householdCode: 'p2', date: new Date('2024-03-01'), visitor: '李明' },
    ]);
  });

  it('replaces a single reference with the referenced document', async () => {
    const h = await Household.findOne({ code: 'p1' }).populate('leadHelper').lean();
    expect((h!.leadHelper as any).name).to.equal('王伟');
    expect((h!.leadHelper as any).phone).to.equal('13800000001');
  });

  it('populates an array of references in the array order', async () => {
    const h = await Household.findOne({ code: 'p1' }).populate('helpers').lean();
    expect((h!.helpers as any[]).map((x) => x.name)).to.deep.equal(['李明', '赵强', '王伟']);
  });

  it('leaves null for a dangling single reference and drops dangling array members', async () => {
    const h = await Household.findOne({ code: 'p3' }).populate('leadHelper').populate('helpers').lean();
    expect(h!.leadHelper).to.equal(null);
    expect((h!.helpers as any[]).map((x) => x.name)).to.deep.equal(['李明']);
  });

  it('populates only the selected fields', async () => {
    const h = await Household.findOne({ code: 'p1' }).populate({ path: 'leadHelper', select: 'name -_id' }).lean();
    expect(h!.leadHelper).to.deep.equal({ name: '王伟' });
  });

  it('filters populated documents with match', async () => {
    const h = await Household.findOne({ code: 'p1' }).populate({ path: 'helpers', match: { unit: { $exists: true } } }).lean();
    expect((h!.helpers as any[]).map((x) => x.name).sort()).to.deep.equal(['李明', '王伟'].sort());
  });

  it('populates across several documents at once', async () => {
    const hs = await Household.find().sort({ code: 1 }).populate('leadHelper', 'name').lean();
    expect(hs.map((h) => (h.leadHelper as any)?.name ?? null)).to.deep.equal(['王伟', '李明', null]);
  });

  it('populates a nested reference', async () => {
    const h = await Household.findOne({ code: 'p2' }).populate({ path: 'leadHelper', populate: { path: 'unit' } }).lean();
    expect((h!.leadHelper as any).unit.name).to.equal('县农业农村局');
  });

  it('populates a virtual by a non-_id field, sorted', async () => {
    const h = await Household.findOne({ code: 'p1' })
      .populate({ path: 'visits', options: { sort: { date: 1 } } });
    const visits = (h as any).visits as Array<{ visitor: string }>;
    expect(visits.map((v) => v.visitor)).to.deep.equal(['王伟', '李明']);
  });
});
