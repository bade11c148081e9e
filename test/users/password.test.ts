import { expect } from 'chai';
import { generatePassword, hashPassword, verifyPassword } from '../../src/users/password';

describe('password hashing', () => {
  it('verifies the password it hashed and refuses another', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', stored)).to.equal(true);
    expect(await verifyPassword('correct horse batterz', stored)).to.equal(false);
  });

  it('stores scrypt with its cost and a per-user salt, never the password', async () => {
    const a = await hashPassword('same password here');
    const b = await hashPassword('same password here');
    expect(a).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.to.equal(b);
    expect(a).not.to.include('same password here');
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    expect(await verifyPassword('x', 'plain-text')).to.equal(false);
    expect(await verifyPassword('x', 'scrypt$0$8$1$c2FsdA==$aGFzaA==')).to.equal(false);
  });

  it('generates 24-character random passwords', () => {
    const a = generatePassword();
    expect(a).to.have.length(24);
    expect(a).not.to.equal(generatePassword());
  });
});
