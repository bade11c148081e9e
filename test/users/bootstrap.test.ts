import { expect } from 'chai';
import { loadConfig } from '../../src/config';
import { AuditModel } from '../../src/audit/audit.model';
import { ensureAdmin } from '../../src/users/bootstrap';
import { UserModel } from '../../src/users/user.model';
import { login } from '../../src/users/user.service';
import { resetLoginLimits } from '../helpers/auth';
import { resetDatabase } from '../helpers/db';

describe('first administrator (ensureAdmin)', () => {
  beforeEach(async () => {
    await resetDatabase();
    await resetLoginLimits();
  });

  it('creates the admin from ADMIN_USERNAME / ADMIN_PASSWORD and prints no password', async () => {
    const config = loadConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'from the environment' });
    const printed: string[] = [];
    const result = await ensureAdmin({ username: config.adminUsername, password: config.adminPassword, print: (l) => printed.push(l) });
    expect(result).to.deep.equal({ created: true, username: 'root' });
    expect(printed).to.deep.equal([]);
    const user = await UserModel.findOne({ username: 'root' }).lean();
    expect(user).to.include({ role: 'admin', disabled: false });
    expect(user?.regionCodes).to.deep.equal(['000000000000']);
    expect(user?.passwordHash).to.match(/^scrypt\$/);
    await login({ username: 'root', password: 'from the environment' }, '127.0.0.1');
  });

  it('generates a strong password when none is set and prints it once', async () => {
    const printed: string[] = [];
    const result = await ensureAdmin({ username: 'admin', password: undefined, print: (l) => printed.push(l) });
    expect(result.created).to.equal(true);
    expect(result.generatedPassword).to.be.a('string').with.length.of.at.least(20);
    expect(printed.join('\n')).to.include(result.generatedPassword);
    expect(printed.filter((l) => l.includes(result.generatedPassword!))).to.have.length(1);
    await login({ username: 'admin', password: result.generatedPassword! }, '127.0.0.1');
    // The password is on the console only: not in the audit trail, not in the user document.
    expect(JSON.stringify(await AuditModel.find({}).lean())).not.to.include(result.generatedPassword);
    expect(JSON.stringify(await UserModel.find({}).lean())).not.to.include(result.generatedPassword);

    const again: string[] = [];
    expect(await ensureAdmin({ print: (l) => again.push(l) })).to.deep.equal({ created: false });
    expect(again).to.deep.equal([]);
    expect(await UserModel.countDocuments({})).to.equal(1);
  });

  it('does nothing when a user exists already', async () => {
    await ensureAdmin({ username: 'first', password: 'first admin password' });
    expect(await ensureAdmin({ username: 'second', password: 'second admin password' })).to.deep.equal({ created: false });
    expect(await UserModel.countDocuments({ username: 'second' })).to.equal(0);
  });
});
