import { cleanName, principalFrom } from '../../src/security/authentication';
import { Role } from '../../src/security/principal';

describe('principalFrom: one principal from any credential', () => {
  const claims = { subject: 'jwt:a', names: ['Nguyễn Văn A'], role: Role.DEPARTMENT_IT as unknown, departmentIds: [7, 3, 7], apiKeyId: null };

  it('scopes a DEPARTMENT_IT caller to exactly the departments named, sorted and once each, and freezes the result', () => {
    const principal = principalFrom(claims);
    expect(principal).toEqual({ subject: 'jwt:a', name: 'Nguyễn Văn A', role: Role.DEPARTMENT_IT, departmentIds: [3, 7], apiKeyId: null });
    if (typeof principal === 'string') throw new Error(principal);
    expect(Object.isFrozen(principal) && Object.isFrozen(principal.departmentIds)).toBe(true);
    expect(() => (principal.departmentIds as number[]).push(1)).toThrow();
  });

  it('refuses an unknown role and a DEPARTMENT_IT caller without departments; other roles see every department', () => {
    expect(principalFrom({ ...claims, role: 'ROOT' })).toMatch(/^invalid token/);
    expect(principalFrom({ ...claims, role: ['ADMIN'] })).toMatch(/^invalid token/);
    expect(principalFrom({ ...claims, departmentIds: [] })).toMatch(/^invalid token/);
    expect(principalFrom({ ...claims, role: Role.ANALYST })).toMatchObject({ role: Role.ANALYST, departmentIds: null });
  });

  it('uses the first usable name, else the subject', () => {
    expect(principalFrom({ ...claims, names: [null, 42, '\u202e\u0000', 'le.c'] })).toMatchObject({ name: 'le.c' });
    expect(principalFrom({ ...claims, names: [{ toString: 1 }] })).toMatchObject({ name: 'jwt:a' });
  });
});

describe('cleanName', () => {
  it.each([
    ['Trần\u0000 Thị\u202e B\u2066', 'Trần Thị B'],
    ['line\nbreak\ttab', 'line break tab'],
    ['zero\u200bwidth\ufeff', 'zerowidth'],
    ['lone \ud800 surrogate', 'lone surrogate'],
    ['Nguye\u0302\u0303n', 'Nguyễn'],
    ['  \u2028  ', null],
  ])('%j → %j', (raw, cleaned) => {
    expect(cleanName(raw)).toBe(cleaned);
  });

  it('keeps at most 200 characters, never splitting one', () => {
    expect(Array.from(cleanName('𝔸'.repeat(300))!)).toHaveLength(200);
  });
});
