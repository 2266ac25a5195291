import { QueryFailedError } from 'typeorm';
import { isDuplicateKeyError, isLockConflictError } from '../../src/database/write-conflicts';

/** A driver error as mysql2 raises it, wrapped as TypeORM does. */
const wrapped = (code: string, errno: number) => new QueryFailedError('SELECT 1', [], Object.assign(new Error(code), { code, errno }));

describe('write conflicts', () => {
  it.each([
    ['ER_LOCK_DEADLOCK', 1213],
    ['ER_LOCK_WAIT_TIMEOUT', 1205],
    ['ER_CHECKREAD', 1020],
  ])('%s (errno %d) is a lock conflict, by code and by errno, wrapped or not', (code, errno) => {
    expect(isLockConflictError(wrapped(code, errno))).toBe(true);
    expect(isLockConflictError(Object.assign(new Error('x'), { errno }))).toBe(true);
    expect(isLockConflictError(Object.assign(new Error('x'), { code }))).toBe(true);
    expect(isDuplicateKeyError(wrapped(code, errno))).toBe(false);
  });

  it('other errors are not lock conflicts', () => {
    expect(isLockConflictError(wrapped('ER_DUP_ENTRY', 1062))).toBe(false);
    expect(isLockConflictError(wrapped('ER_PARSE_ERROR', 1064))).toBe(false);
    expect(isLockConflictError(new Error('Record has changed since last read'))).toBe(false);
    expect(isDuplicateKeyError(wrapped('ER_DUP_ENTRY', 1062))).toBe(true);
  });
});
