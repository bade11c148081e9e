import { expect } from 'chai';
import { Double, Long, ObjectId, deserialize, serialize } from 'bson';
import { remember } from '../../../src/embedded-mongo/decoded';
import { encodeCursorReply, encodeReply } from '../../../src/embedded-mongo/wire';

describe('embedded engine: cursor reply encoding', () => {
  it('writes exactly the bytes bson would, with stored and unstored documents', () => {
    const docs = [{ _id: new ObjectId(), name: '张三', n: 1 }, { _id: 2, nested: { list: [1, 'a'] } }];
    remember(Buffer.from(serialize(docs[0])), docs[0]);
    for (const key of ['firstBatch', 'nextBatch'] as const) {
      const reply = { cursor: { [key]: docs, id: Long.fromString('1234567890123'), ns: 'db.coll' }, ok: 1 };
      expect(Buffer.from(encodeCursorReply(reply)!).equals(Buffer.from(serialize(reply)))).to.equal(true);
    }
  });

  it('copies stored bytes into the batch, and decodes them for a reply of another shape', () => {
    const stored = Buffer.from(serialize({ _id: 1, d: new Double(2) }));
    const reply = { cursor: { firstBatch: [stored], id: Long.ZERO, ns: 'db.coll' }, ok: 1 };
    expect(deserialize(encodeCursorReply(reply)!, { promoteValues: false }).cursor.firstBatch[0].d).to.be.instanceOf(Double);
    const other = { cursor: { firstBatch: [stored], id: Long.ZERO, ns: 'db.coll', extra: 1 }, ok: 1 };
    const [, body] = encodeReply(1, other, false);
    expect(deserialize(body, { promoteValues: false }).cursor.firstBatch[0].d).to.be.instanceOf(Double);
  });

  it('declines other reply shapes', () => {
    expect(encodeCursorReply({ ok: 1 })).to.equal(null);
    expect(encodeCursorReply({ cursor: { id: Long.ZERO, ns: 'x', firstBatch: [] }, ok: 1 })).to.equal(null);
  });
});
