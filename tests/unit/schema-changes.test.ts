import { compareSchemas, parseAllowList } from '../../src/graphql/schema-changes';

const before = `
  type Query { task(code: String!): Task }
  type Task {
    code: String!
    owner: String
    legacyName: String @deprecated(reason: "Use code; removal after 2026-06-30.")
  }
  enum Status { OPEN DONE OLD @deprecated(reason: "removal after 2026-01-31") }
`;
const TODAY = '2026-12-07';

describe('compareSchemas', () => {
  it('refuses a removed field that was neither deprecated nor allowed', () => {
    const after = before.replace('owner: String', '');
    const { refused, accepted } = compareSchemas(before, after, [], TODAY);
    expect(refused.map((change) => change.description)).toEqual(['Task.owner was removed.']);
    expect(accepted).toEqual([]);
  });

  it('accepts a removal listed in the allow-list, with its reason', () => {
    const after = before.replace('owner: String', '');
    const allowList = [{ change: 'Task.owner was removed.', reason: 'never filled in production', date: '2026-12-01' }];
    const { refused, accepted } = compareSchemas(before, after, allowList, TODAY);
    expect(refused).toEqual([]);
    expect(accepted.map((change) => [change.description, change.why])).toEqual([
      ['Task.owner was removed.', 'allow-list (2026-12-01): never filled in production'],
    ]);
  });

  it('accepts an added field, type or argument with a default, and reports an added enum value as dangerous', () => {
    const after = before
      .replace('owner: String', 'owner: String\n    deadline: String')
      .replace('task(code: String!)', 'task(code: String!, asOf: String = null)')
      .replace('enum Status { OPEN', 'type Extra { a: Int }\n  enum Status { OPEN NEW');
    const { refused, accepted, dangerous } = compareSchemas(before, after, [], TODAY);
    expect(refused).toEqual([]);
    expect(accepted).toEqual([]);
    expect(dangerous.map((change) => change.description)).toContain('NEW was added to enum type Status.');
  });

  it('accepts removing what was deprecated once its removal date has passed, not before', () => {
    const after = before.replace(/legacyName: String @deprecated\([^)]*\)/, '').replace(/ OLD @deprecated\([^)]*\)/, '');
    const early = compareSchemas(before, after, [], '2026-03-01');
    expect(early.refused.map((change) => change.description)).toEqual(['Task.legacyName was removed.']);
    expect(early.accepted.map((change) => change.description)).toEqual(['OLD was removed from enum type Status.']);
    const late = compareSchemas(before, after, [], TODAY);
    expect(late.refused).toEqual([]);
    expect(late.accepted.map((change) => change.why)).toEqual(
      expect.arrayContaining(['deprecated: Use code; removal after 2026-06-30.', 'deprecated: removal after 2026-01-31']),
    );
  });

  it('refuses a changed field type unless allowed', () => {
    const after = before.replace('code: String!\n', 'code: Int!\n');
    expect(compareSchemas(before, after, [], TODAY).refused.map((change) => change.description)).toEqual([
      'Task.code changed type from String! to Int!.',
    ]);
  });
});

describe('parseAllowList', () => {
  it('reads entries with a change, a reason and a date', () => {
    expect(parseAllowList('[{"change":"Task.owner was removed.","reason":"unused","date":"2026-12-01"}]')).toEqual([
      { change: 'Task.owner was removed.', reason: 'unused', date: '2026-12-01' },
    ]);
  });

  it.each([
    ['{}', 'expected a JSON array'],
    ['[{"change":"Task.owner was removed.","date":"2026-12-01"}]', '[0]: "reason"'],
    ['[{"change":"Task.owner was removed.","reason":"unused","date":"1 Dec 2026"}]', '[0]: "date"'],
    ['[{"reason":"unused","date":"2026-12-01"}]', '[0]: "change"'],
  ])('refuses %s', (text, message) => {
    expect(() => parseAllowList(text)).toThrow(message);
  });
});
