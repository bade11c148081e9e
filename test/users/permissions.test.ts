import { expect } from 'chai';
import { can, permissionsOf } from '../../src/users/permissions';

describe('role permissions', () => {
  it('lets only admins manage users', () => {
    expect(can({ role: 'admin' }, 'users:manage')).to.equal(true);
    for (const role of ['county', 'village', 'auditor'] as const) expect(can({ role }, 'users:manage')).to.equal(false);
  });

  it('keeps auditors from writing households but lets them read, run checks and export findings', () => {
    expect(can({ role: 'auditor' }, 'household:write')).to.equal(false);
    expect(can({ role: 'auditor' }, 'import')).to.equal(false);
    for (const p of ['household:read', 'eligibility:run', 'findings:export', 'audit:read'] as const) expect(can({ role: 'auditor' }, p)).to.equal(true);
  });

  it('gives imports and ledger exports to county staff, not to villages', () => {
    expect(can({ role: 'county' }, 'import')).to.equal(true);
    expect(can({ role: 'county' }, 'export')).to.equal(true);
    expect(can({ role: 'village' }, 'import')).to.equal(false);
    expect(can({ role: 'village' }, 'export')).to.equal(false);
  });

  it('shows full ID numbers in bulk only to admins, and on one household to those who keep it', () => {
    expect(permissionsOf('admin')).to.include.members(['id:view-bulk', 'id:view-single']);
    for (const role of ['county', 'village'] as const) {
      expect(permissionsOf(role)).to.include('id:view-single').and.not.include('id:view-bulk');
    }
    expect(permissionsOf('auditor')).not.to.include.oneOf(['id:view-single', 'id:view-bulk']);
    for (const role of ['admin', 'county', 'village', 'auditor'] as const) expect(can({ role }, 'id:reveal')).to.equal(true);
  });

  it('refuses an unknown role everything', () => {
    expect(can({ role: 'guest' as never }, 'household:read')).to.equal(false);
  });

  it('lets county staff and admins move households between villages, not village cadres', () => {
    expect(can({ role: 'county' }, 'household:relocate')).to.equal(true);
    expect(can({ role: 'village' }, 'household:relocate')).to.equal(false);
  });
});
