import { ProgressStatus } from '../../src/common/enums';
import { ChangedField } from '../../src/modules/catalogue/change-record';
import { CompletionTiming, deadlineIn, stateAt, type ChangeRow } from '../../src/modules/progress/item-state';
import { startOfDay } from '../../src/modules/progress/progress.service';

const ZONE = 'Asia/Ho_Chi_Minh';
let nextId = 1;
const change = (field: ChangedField, fromValue: string | null, toValue: string, changedAt: string): ChangeRow => ({
  id: nextId++, subjectId: 1, field, fromValue, toValue, changedAt: new Date(changedAt), author: 'test', note: null,
});
const status = (from: string | null, to: string, at: string) => change(ChangedField.STATUS, from, to, at);
// The seed records the state of 2 April 2024 at 00:00 UTC (07:00 in Hanoi).
const initial = (to: ProgressStatus) => status(null, to, '2024-04-02T00:00:00Z');

describe('stateAt: an item’s facts on a day, from its history', () => {
  const open = { status: ProgressStatus.IN_PROGRESS, deadline: '2024-03-31', responsiblePerson: 'Deputy Director', completedAt: null };

  it('an open item past its deadline is overdue by the days since the deadline', () => {
    expect(stateAt(open, [initial(ProgressStatus.IN_PROGRESS)], '2024-04-02', ZONE)).toMatchObject({
      status: 'IN_PROGRESS', overdue: true, daysLate: 2, completion: null, completedOn: null,
    });
    expect(stateAt(open, [initial(ProgressStatus.IN_PROGRESS)], '2024-03-31', ZONE)).toMatchObject({ overdue: false, daysLate: 0 });
  });

  it('before the first recorded change, the value that change replaced holds', () => {
    const history = [initial(ProgressStatus.IN_PROGRESS), status('IN_PROGRESS', 'COMPLETED', '2024-05-10T03:00:00Z')];
    const now = { ...open, status: ProgressStatus.COMPLETED, completedAt: new Date('2024-05-10T03:00:00Z') };
    expect(stateAt(now, history, '2024-04-30', ZONE)).toMatchObject({ status: 'IN_PROGRESS', overdue: true, daysLate: 30 });
    expect(stateAt(now, history, '2024-05-10', ZONE)).toMatchObject({
      status: 'COMPLETED', overdue: false, completedOn: '2024-05-10', completion: CompletionTiming.LATE, daysLate: 40,
    });
  });

  it('a change is dated by its local day: 18:00 UTC on 9 May is 10 May in Hanoi', () => {
    const history = [initial(ProgressStatus.IN_PROGRESS), status('IN_PROGRESS', 'COMPLETED', '2024-05-09T18:00:00Z')];
    const now = { ...open, deadline: '2024-05-09', status: ProgressStatus.COMPLETED, completedAt: null };
    expect(stateAt(now, history, '2024-05-09', ZONE).status).toBe('IN_PROGRESS');
    expect(stateAt(now, history, '2024-05-10', ZONE)).toMatchObject({ completedOn: '2024-05-10', completion: 'LATE', daysLate: 1 });
  });

  it('a completion recorded by a transition on or before the deadline is on time', () => {
    const history = [initial(ProgressStatus.IN_PROGRESS), status('IN_PROGRESS', 'COMPLETED', '2024-06-01T03:00:00Z')];
    const now = { ...open, deadline: '2024-06-30', status: ProgressStatus.COMPLETED, completedAt: null };
    expect(stateAt(now, history, '2024-12-31', ZONE)).toMatchObject({ completedOn: '2024-06-01', completion: 'ON_TIME', daysLate: 0 });
  });

  it('an initial COMPLETED record only says "completed by": on time before the deadline, otherwise undated', () => {
    const done = { ...open, status: ProgressStatus.COMPLETED, completedAt: new Date('2024-04-02T00:00:00Z') };
    expect(stateAt({ ...done, deadline: '2024-09-30' }, [initial(ProgressStatus.COMPLETED)], '2024-04-02', ZONE))
      .toMatchObject({ completion: 'ON_TIME', completedOn: null });
    expect(stateAt({ ...done, deadline: '2024-02-29' }, [initial(ProgressStatus.COMPLETED)], '2024-04-02', ZONE))
      .toMatchObject({ completion: 'UNDATED', completedOn: null, daysLate: 0, overdue: false });
    // Read before the record was made, the item was completed by asOf at the latest.
    expect(stateAt({ ...done, deadline: '2024-03-31' }, [initial(ProgressStatus.COMPLETED)], '2024-03-31', ZONE).completion).toBe('ON_TIME');
  });

  it('reopening an item makes it open again from the day of the change', () => {
    const history = [
      initial(ProgressStatus.IN_PROGRESS),
      status('IN_PROGRESS', 'COMPLETED', '2024-04-03T03:00:00Z'),
      status('COMPLETED', 'IN_PROGRESS', '2024-04-05T03:00:00Z'),
    ];
    expect(stateAt(open, history, '2024-04-02', ZONE)).toMatchObject({ status: 'IN_PROGRESS', overdue: true, daysLate: 2 });
    expect(stateAt(open, history, '2024-04-04', ZONE)).toMatchObject({ status: 'COMPLETED', completion: 'LATE', completedOn: '2024-04-03', daysLate: 3 });
    expect(stateAt(open, history, '2024-04-06', ZONE)).toMatchObject({ status: 'IN_PROGRESS', overdue: true, daysLate: 6, completion: null });
  });

  it('deadline and responsible person are read from their own histories', () => {
    const history = [
      initial(ProgressStatus.IN_PROGRESS),
      change(ChangedField.DEADLINE, '2024-03-31', '2024-06-30', '2024-04-10T03:00:00Z'),
      change(ChangedField.RESPONSIBLE_PERSON, 'Deputy Director', 'Director', '2024-04-10T03:00:00Z'),
    ];
    const now = { ...open, deadline: '2024-06-30', responsiblePerson: 'Director' };
    expect(stateAt(now, history, '2024-04-05', ZONE)).toMatchObject({ deadline: '2024-03-31', responsiblePerson: 'Deputy Director', overdue: true, daysLate: 5 });
    expect(stateAt(now, history, '2024-04-10', ZONE)).toMatchObject({ deadline: '2024-06-30', responsiblePerson: 'Director', overdue: false, daysLate: 0 });
  });

  it('without any history the current facts hold', () => {
    expect(stateAt(open, [], '2024-04-01', ZONE)).toMatchObject({ status: 'IN_PROGRESS', deadline: '2024-03-31', overdue: true, daysLate: 1 });
    const done = { ...open, status: ProgressStatus.COMPLETED, completedAt: new Date('2024-03-01T03:00:00Z') };
    expect(stateAt(done, [], '2024-04-01', ZONE).completion).toBe('ON_TIME');
  });

  it('an item without a deadline or responsible person (a pilot model not yet planned) is never overdue nor due', () => {
    const unplanned = { ...open, deadline: null, responsiblePerson: null };
    const state = stateAt(unplanned, [initial(ProgressStatus.IN_PROGRESS)], '2030-01-01', ZONE);
    expect(state).toMatchObject({ deadline: null, responsiblePerson: null, overdue: false, daysLate: 0, completion: null });
    expect(deadlineIn(state, '2000-01-01', '2100-12-31')).toBe(false);
    // Completed without a deadline: neither on time nor late, its day kept when a transition records it.
    const history = [initial(ProgressStatus.IN_PROGRESS), status('IN_PROGRESS', 'COMPLETED', '2024-05-10T03:00:00Z')];
    const done = { ...unplanned, status: ProgressStatus.COMPLETED, completedAt: new Date('2024-05-10T03:00:00Z') };
    expect(stateAt(done, history, '2024-06-01', ZONE)).toMatchObject({ status: 'COMPLETED', completion: null, completedOn: '2024-05-10', daysLate: 0 });
  });

  it('a deadline set where there was none (fromValue "") holds from its day only', () => {
    const history = [initial(ProgressStatus.IN_PROGRESS), change(ChangedField.DEADLINE, '', '2024-04-30', '2024-06-01T03:00:00Z')];
    const now = { ...open, deadline: '2024-04-30' };
    expect(stateAt(now, history, '2024-05-15', ZONE)).toMatchObject({ deadline: null, overdue: false });
    expect(stateAt(now, history, '2024-06-01', ZONE)).toMatchObject({ deadline: '2024-04-30', overdue: true, daysLate: 32 });
    expect(deadlineIn(stateAt(now, history, '2024-06-01', ZONE), '2024-04-01', '2024-04-30')).toBe(true);
  });
});

describe('startOfDay: the instant a local day begins', () => {
  it.each([
    ['2024-04-02', 'Asia/Ho_Chi_Minh', '2024-04-01T17:00:00.000Z'],
    ['2024-04-02', 'UTC', '2024-04-02T00:00:00.000Z'],
    ['2024-03-10', 'America/New_York', '2024-03-10T05:00:00.000Z'],
    ['2024-07-01', 'America/New_York', '2024-07-01T04:00:00.000Z'],
  ])('%s in %s begins at %s', (date, zone, instant) => {
    expect(startOfDay(date, zone).toISOString()).toBe(instant);
  });
});
