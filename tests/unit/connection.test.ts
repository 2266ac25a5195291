import { HubError } from '../../src/common/errors';
import { encodeCursor, pageRequest } from '../../src/graphql/connection';

const limits = { defaultPageSize: 50, maxPageSize: 500 };

function errorOf(action: () => unknown): HubError {
  try {
    action();
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('pageRequest', () => {
  it('reads forward by default with the default size', () => {
    expect(pageRequest({}, limits)).toMatchObject({ size: 50, backward: false, cursor: null });
  });

  it('reads backward with last/before and decodes cursors, dates included', () => {
    const cursor = encodeCursor(['2024-03-01', new Date('2024-04-01T03:00:00Z'), 7]);
    const request = pageRequest({ last: 5, before: cursor }, limits);
    expect(request.backward).toBe(true);
    expect(request.size).toBe(5);
    expect(request.cursor).toEqual(['2024-03-01', new Date('2024-04-01T03:00:00Z'), 7]);
  });

  it.each([
    [{ first: 501 }, 'first'],
    [{ first: -1 }, 'first'],
    [{ last: 1000 }, 'last'],
    [{ first: 1, last: 1 }, 'first'],
    [{ after: 'not-a-cursor' }, 'after'],
    [{ before: encodeCursor([]) }, 'before'],
    [{ last: 2, after: encodeCursor([1]) }, 'after'],
  ])('%j is BAD_USER_INPUT naming %s', (args, field) => {
    const error = errorOf(() => pageRequest(args, limits));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.field).toBe(field);
    expect(error.message.startsWith(`${field}:`)).toBe(true);
  });
});
