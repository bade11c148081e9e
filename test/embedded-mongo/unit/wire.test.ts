import { expect } from 'chai';
import { Long, ObjectId, serialize } from 'bson';
import { remember } from '../../../src/embedded-mongo/decoded';
import { encodeCursorReply } from '../../../src/embedded-mongo/wire';

describe('embedded engine: cursor reply encoding', () => {
  it('writes exactly the bytes bson would, with stored and unstored documents', () => {
    const docs = [{ _id: new ObjectId(), name: '张三', n: 1 }, { _id: 2, nested: { list: [1, 'a'] } }];
    remember(Buffer.from(serialize(docs[0])), docs[0]);
    for (const key of ['firstBatch', 'nextBatch'] as const) {
      const reply = { cursor: { [key]: docs, id: Long.fromString('1234567890123'), ns: 'db.coll' }, ok: 1 };
      expect(Buffer.from(encodeCursorReply(reply)!).equals(Buffer.from(serialize(reply)))).to.equal(true);
    }
  });

  it('declines other reply shapes', () => {
    expect(encodeCursorReply({ ok: 1 })).to.equal(null);
    expect(encodeCursorReply({ cursor: { id: Long.ZERO, ns: 'x', firstBatch: [] }, ok: 1 })).to.equal(null);
  });
});
