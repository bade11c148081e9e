import { expect } from 'chai';
import mongoose, { Schema } from 'mongoose';
import { resetDatabase } from '../../helpers/db';

const Person = mongoose.models.SmokePerson ?? mongoose.model('SmokePerson', new Schema({
  code: { type: String, required: true, unique: true },
  name: String,
  age: Number,
  tags: [String],
}));

describe('embedded engine through Mongoose (smoke)', () => {
  beforeEach(async () => {
    await resetDatabase();
  });

  it('creates, reads, updates and deletes a document', async () => {
    const created = await Person.create({ code: 'A1', name: '张三', age: 30, tags: ['x'] });
    const found = await Person.findOne({ code: 'A1' }).lean();
    expect(found?.name).to.equal('张三');
    expect(String(found?._id)).to.equal(String(created._id));
    await Person.updateOne({ code: 'A1' }, { $inc: { age: 1 }, $push: { tags: 'y' } });
    const updated = await Person.findById(created._id).lean();
    expect(updated?.age).to.equal(31);
    expect(updated?.tags).to.deep.equal(['x', 'y']);
    const del = await Person.deleteOne({ code: 'A1' });
    expect(del.deletedCount).to.equal(1);
    expect(await Person.countDocuments()).to.equal(0);
  });

  it('rejects a second document with the same unique code (E11000)', async () => {
    await Person.create({ code: 'B1' });
    let error: any;
    try {
      await Person.create({ code: 'B1' });
    } catch (err) {
      error = err;
    }
    expect(error?.code).to.equal(11000);
    expect(error?.keyValue).to.deep.equal({ code: 'B1' });
    expect(error?.message).to.match(/E11000 duplicate key error collection: \w+\.smokepeople index: code_1 dup key: \{ code: "B1" \}/);
  });

  it('sorts, skips and limits', async () => {
    await Person.insertMany([3, 1, 2, 5, 4].map((n) => ({ code: `S${n}`, age: n })));
    const rows = await Person.find({ age: { $gte: 2 } }).sort({ age: -1 }).skip(1).limit(2).lean();
    expect(rows.map((r) => r.age)).to.deep.equal([4, 3]);
  });
});
