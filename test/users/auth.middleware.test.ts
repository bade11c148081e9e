import { expect } from 'chai';
import type { NextFunction, Request, Response } from 'express';
import { actorOf, authenticate, requirePermission, requireRole } from '../../src/users/auth.middleware';
import type { Actor } from '../../src/users/actor';
import { AppError } from '../../src/http/errors';
import { resetLoginLimits, userFor } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

function resWith(actor?: Actor): Response {
  return { locals: actor ? { actor } : {} } as unknown as Response;
}
const req = (authorization?: string) => ({ get: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : undefined) }) as unknown as Request;
const county: Actor = { userId: 'u', username: 'xian', role: 'county', regionCodes: ['421122000000'] };

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
}

describe('auth middleware', () => {
  it('requireRole lets listed roles through and refuses others with FORBIDDEN', () => {
    let passed = 0;
    const next: NextFunction = () => { passed += 1; };
    requireRole('county', 'admin')(req(), resWith(county), next);
    expect(passed).to.equal(1);
    expect(codeOf(() => requireRole('admin')(req(), resWith(county), next))).to.equal('FORBIDDEN');
    expect(passed).to.equal(1);
  });

  it('requirePermission asks the permission table', () => {
    const next: NextFunction = () => undefined;
    expect(codeOf(() => requirePermission('import')(req(), resWith(county), next))).to.equal(null);
    expect(codeOf(() => requirePermission('users:manage')(req(), resWith(county), next))).to.equal('FORBIDDEN');
  });

  it('fails closed when a route forgot to authenticate', () => {
    expect(codeOf(() => actorOf(resWith()))).to.equal('UNAUTHENTICATED');
    expect(codeOf(() => requireRole('admin', 'county', 'village', 'auditor')(req(), resWith(), () => undefined))).to.equal('UNAUTHENTICATED');
  });

  describe('authenticate', () => {
    beforeEach(async () => {
      await resetDatabase();
      await resetLoginLimits();
    });

    it('puts the token\'s user in res.locals.actor', async () => {
      const user = await userFor('village', ['421122001001'], 'cunguan');
      const res = resWith();
      let called = false;
      await authenticate(req(`Bearer ${user.token}`), res, () => { called = true; });
      expect(called).to.equal(true);
      expect(res.locals.actor).to.deep.equal(user.actor);
    });

    for (const header of [undefined, '', 'Bearer', 'Token abc', 'Bearer a b']) {
      it(`refuses the header ${JSON.stringify(header)} with UNAUTHENTICATED`, async () => {
        const err = await authenticate(req(header), resWith(), () => undefined).then(() => null, (e: unknown) => e);
        expect(err).to.be.instanceOf(AppError);
        expect((err as AppError).code).to.equal('UNAUTHENTICATED');
      });
    }
  });
});
