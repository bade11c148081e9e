/**
 * 基本医疗有保障: a member without basic medical insurance fails the check (POLICY.md).
 */
import type { Member } from '../../registry/household.types';

export function isUninsured(member: Partial<Member>): boolean | undefined {
  const medical = member.insurance?.medical;
  return typeof medical === 'boolean' ? !medical : undefined;
}
