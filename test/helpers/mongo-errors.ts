import { expect } from 'chai';

/** Awaits `p`, which must fail with MongoDB error `code`; returns the error for further checks. */
export async function expectCode(p: Promise<unknown>, code: number): Promise<any> {
  try {
    await p;
  } catch (err: any) {
    expect(err.code, err.message).to.equal(code);
    return err;
  }
  expect.fail(`expected error code ${code}`);
}
