import { PilotModel, PilotModelChange } from '../../src/modules/catalogue/pilot-model.entity';
import { Task, TaskChange } from '../../src/modules/catalogue/task.entity';
import * as catalogue from '../../src/seed/catalogue-data';
import { SEED_AUTHOR } from '../../src/seed/seed';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Change = { field: string; fromValue: string | null; toValue: string; author: string; note: string | null; changedAt: string };
const CHANGE_FIELDS = 'field fromValue toValue author note changedAt';
const SEED_CHANGED_AT = '2024-04-02T00:00:00.000Z';
const SEED_NOTE = 'State reported at the Provincial People’s Committee meeting of 2 April 2024.';

const STATUS_MUTATION = `mutation($code: String!, $status: ProgressStatus!, $note: String!) {
  updatePilotModelStatus(code: $code, status: $status, note: $note) { code status completedAt statusHistory { ${CHANGE_FIELDS} } }
}`;

describe('mutations of pilot models and tasks', () => {
  let hub: TestHub;
  // The author of a change is the name of the caller's key.
  let healthAdmin: Record<string, string>;
  let governmentOffice: Record<string, string>;
  beforeAll(async () => {
    hub = await startTestHub();
    healthAdmin = (await createKey(hub, Role.ADMIN, [], 'Sở Y tế')).headers;
    governmentOffice = (await createKey(hub, Role.ADMIN, [], 'Văn phòng UBND tỉnh')).headers;
  });
  afterAll(async () => {
    await hub.close();
  });

  /** The row as stored and the number of history rows it has, read with SQL. */
  const storedModel = async (code: string) => {
    const model = await hub.dataSource.getRepository(PilotModel).findOneByOrFail({ code });
    const changes = await hub.dataSource.getRepository(PilotModelChange).countBy({ subjectId: model.id });
    return { status: model.status, deadline: model.deadline, responsiblePerson: model.responsiblePerson, completedAt: model.completedAt, changes };
  };
  const storedTask = async (code: string) => {
    const task = await hub.dataSource.getRepository(Task).findOneByOrFail({ code });
    const changes = await hub.dataSource.getRepository(TaskChange).countBy({ subjectId: task.id });
    return { status: task.status, deadline: task.deadline, responsiblePerson: task.responsiblePerson, targetValue: task.targetValue, changes };
  };
  const allChanges = async () =>
    (await hub.dataSource.getRepository(PilotModelChange).count()) + (await hub.dataSource.getRepository(TaskChange).count());

  it('updatePilotModelStatus records the status, completedAt and a history entry by the caller (its key name)', async () => {
    expect(await storedModel('M03')).toMatchObject({ status: 'IN_PROGRESS', completedAt: null, changes: 1 });
    const note = 'Tất cả 520 cơ sở khám chữa bệnh đã tiếp nhận CCCD gắn chip.';
    const before = Date.now();
    const data = await dataOf<{ updatePilotModelStatus: { code: string; status: string; completedAt: string; statusHistory: Change[] } }>(
      hub,
      STATUS_MUTATION,
      { code: 'M03', status: 'COMPLETED', note },
      healthAdmin,
    );
    const after = Date.now();
    const model = data.updatePilotModelStatus;
    expect(model.code).toBe('M03');
    expect(model.status).toBe('COMPLETED');
    // MariaDB keeps whole seconds: allow for the truncation.
    const completedAt = Date.parse(model.completedAt);
    expect(completedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(completedAt).toBeLessThanOrEqual(after);
    expect(model.statusHistory).toHaveLength(2);
    expect(model.statusHistory[0]).toEqual({
      field: 'STATUS',
      fromValue: null,
      toValue: 'IN_PROGRESS',
      author: SEED_AUTHOR,
      note: SEED_NOTE,
      changedAt: SEED_CHANGED_AT,
    });
    expect(model.statusHistory[1]).toMatchObject({ field: 'STATUS', fromValue: 'IN_PROGRESS', toValue: 'COMPLETED', author: 'Sở Y tế', note });
    expect(model.statusHistory[1].changedAt).toBe(model.completedAt);

    const stored = await storedModel('M03');
    expect(stored).toMatchObject({ status: 'COMPLETED', changes: 2 });
    expect(stored.completedAt?.toISOString()).toBe(model.completedAt);

    // A later read sees the same history, and the programme counts moved one model from in progress to completed.
    const read = await dataOf<{ pilotModel: { status: string; history: Change[] }; program: { pilotModelCounts: Record<string, number> } }>(
      hub,
      `{ pilotModel(code: "M03") { status history { ${CHANGE_FIELDS} } } program(code: "DA06") { pilotModelCounts { total completed inProgress notStarted } } }`,
    );
    expect(read.pilotModel.history).toEqual(model.statusHistory);
    expect(read.program.pilotModelCounts).toEqual({ total: 38, completed: 7, inProgress: 19, notStarted: 12 });
  });

  it('a blank note is BAD_USER_INPUT and writes nothing', async () => {
    const before = await storedModel('M05');
    const changes = await allChanges();
    for (const note of ['', '   ']) {
      const error = await errorOf(hub, STATUS_MUTATION, { code: 'M05', status: 'COMPLETED', note });
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.field).toBe('note');
      expect(error.message).toContain('note');
    }
    expect(await storedModel('M05')).toEqual(before);
    expect(before).toMatchObject({ status: 'IN_PROGRESS', changes: 1 });
    expect(await allChanges()).toBe(changes);
    const history = await dataOf<{ pilotModel: { statusHistory: Change[] } }>(hub, '{ pilotModel(code: "M05") { statusHistory { field toValue } } }');
    expect(history.pilotModel.statusHistory).toEqual([{ field: 'STATUS', toValue: 'IN_PROGRESS' }]);
  });

  it('the declared lengths of an accountability update are checked: too short or too long is BAD_USER_INPUT and writes nothing', async () => {
    const before = await storedTask('T01.03');
    const changes = await allChanges();
    const update = 'mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.03", input: $input) { code } }';
    const short = await errorOf(hub, update, { input: { responsiblePerson: 'X', note: 'một ký tự' } });
    expect(short.extensions?.code).toBe('BAD_USER_INPUT');
    expect(short.message).toContain('responsiblePerson');
    const long = await errorOf(hub, update, { input: { deadline: '2024-12-31', note: 'n'.repeat(2001) } });
    expect(long.extensions?.code).toBe('BAD_USER_INPUT');
    expect(long.message).toContain('note');
    expect(await storedTask('T01.03')).toEqual(before);
    expect(await allChanges()).toBe(changes);
  });

  it('an unknown code is NOT_FOUND and writes nothing', async () => {
    const changes = await allChanges();
    const statuses = await hub.dataSource.getRepository(PilotModel).find({ select: { code: true, status: true }, order: { code: 'ASC' } });
    const error = await errorOf(hub, STATUS_MUTATION, { code: 'M99', status: 'COMPLETED', note: 'không tồn tại' });
    expect(error.extensions?.code).toBe('NOT_FOUND');
    expect(error.message).toContain('M99');
    const task = await errorOf(hub, 'mutation { updateTaskStatus(code: "T99.99", status: COMPLETED, note: "x") { code } }');
    expect(task.extensions?.code).toBe('NOT_FOUND');
    expect(task.message).toContain('T99.99');
    const update = await errorOf(hub, 'mutation { updateTask(code: "T99.99", input: { deadline: "2024-12-31" }) { code } }');
    expect(update.extensions?.code).toBe('NOT_FOUND');
    expect(await allChanges()).toBe(changes);
    expect(await hub.dataSource.getRepository(PilotModel).find({ select: { code: true, status: true }, order: { code: 'ASC' } })).toEqual(statuses);
  });

  it('setting the same status again adds no history record', async () => {
    const before = await storedModel('M03');
    expect(before).toMatchObject({ status: 'COMPLETED', changes: 2 });
    const data = await dataOf<{ updatePilotModelStatus: { status: string; completedAt: string; statusHistory: Change[] } }>(
      hub,
      STATUS_MUTATION,
      { code: 'M03', status: 'COMPLETED', note: 'again' },
    );
    expect(data.updatePilotModelStatus.status).toBe('COMPLETED');
    expect(data.updatePilotModelStatus.statusHistory).toHaveLength(2);
    expect(data.updatePilotModelStatus.completedAt).toBe(before.completedAt?.toISOString());
    expect(await storedModel('M03')).toEqual(before);
  });

  it('reopening a model clears completedAt; the bootstrap key is recorded by its name', async () => {
    const data = await dataOf<{ updatePilotModelStatus: { status: string; completedAt: string | null; statusHistory: Change[] } }>(
      hub,
      STATUS_MUTATION,
      { code: 'M13', status: 'IN_PROGRESS', note: 'Reopened for the second phase' },
    );
    expect(data.updatePilotModelStatus.status).toBe('IN_PROGRESS');
    expect(data.updatePilotModelStatus.completedAt).toBeNull();
    expect(data.updatePilotModelStatus.statusHistory.map((change) => [change.fromValue, change.toValue, change.author])).toEqual([
      [null, 'COMPLETED', SEED_AUTHOR],
      ['COMPLETED', 'IN_PROGRESS', 'PILOTHUB_ADMIN_KEY'],
    ]);
    expect(await storedModel('M13')).toMatchObject({ status: 'IN_PROGRESS', completedAt: null, changes: 2 });
    const counts = await dataOf<{ program: { pilotModelCounts: Record<string, number> } }>(
      hub,
      '{ program(code: "DA06") { pilotModelCounts { completed inProgress notStarted } } }',
    );
    expect(counts.program.pilotModelCounts).toEqual({ completed: 6, inProgress: 20, notStarted: 12 });
  });

  it('updateTask records one history entry per changed fact, with from and to values', async () => {
    const seed = catalogue.tasks.find((task) => task.code === 'T01.01')!;
    expect(await storedTask('T01.01')).toMatchObject({ deadline: '2024-06-30', targetValue: 53, changes: 1 });
    const input = {
      deadline: '2024-08-31',
      responsiblePerson: 'Deputy Director, Provincial Public Administration Service Centre',
      targetValue: 60,
      note: 'Kế hoạch bổ sung 7 dịch vụ công',
    };
    const data = await dataOf<{ updateTask: { code: string; deadline: string; responsiblePerson: string; targetValue: number; history: Change[] } }>(
      hub,
      `mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.01", input: $input) {
          code deadline responsiblePerson targetValue history { ${CHANGE_FIELDS} } } }`,
      { input },
      governmentOffice,
    );
    const task = data.updateTask;
    expect(task).toMatchObject({ code: 'T01.01', deadline: '2024-08-31', responsiblePerson: input.responsiblePerson, targetValue: 60 });
    expect(task.history.map(({ changedAt: _changedAt, ...change }) => change)).toEqual([
      { field: 'STATUS', fromValue: null, toValue: 'IN_PROGRESS', author: SEED_AUTHOR, note: SEED_NOTE },
      { field: 'DEADLINE', fromValue: '2024-06-30', toValue: '2024-08-31', author: 'Văn phòng UBND tỉnh', note: input.note },
      { field: 'RESPONSIBLE_PERSON', fromValue: seed.responsiblePerson, toValue: input.responsiblePerson, author: 'Văn phòng UBND tỉnh', note: input.note },
      { field: 'TARGET', fromValue: '53', toValue: '60', author: 'Văn phòng UBND tỉnh', note: input.note },
    ]);
    expect(new Set(task.history.slice(1).map((change) => change.changedAt)).size).toBe(1);
    expect(await storedTask('T01.01')).toMatchObject({ deadline: '2024-08-31', responsiblePerson: input.responsiblePerson, targetValue: 60, changes: 4 });

    const onlyTarget = await dataOf<{ task: { history: Change[]; statusHistory: Change[] } }>(
      hub,
      '{ task(code: "T01.01") { history(field: TARGET) { field fromValue toValue } statusHistory { field } } }',
    );
    expect(onlyTarget.task.history).toEqual([{ field: 'TARGET', fromValue: '53', toValue: '60' }]);
    expect(onlyTarget.task.statusHistory).toEqual([{ field: 'STATUS' }]);

    // The same values again change nothing.
    await dataOf(hub, 'mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.01", input: $input) { code } }', { input });
    expect((await storedTask('T01.01')).changes).toBe(4);
  });

  it('moving an overdue task’s deadline takes it out of the overdue list', async () => {
    const before = await dataOf<{ tasks: { totalCount: number } }>(hub, '{ tasks(filter: { overdue: true, asOf: "2024-04-02" }) { totalCount } }');
    expect(before.tasks.totalCount).toBe(10);
    const data = await dataOf<{ updateTask: { deadline: string; overdue: boolean; daysLate: number; history: Change[] } }>(
      hub,
      `mutation { updateTask(code: "T01.02", input: { deadline: "2024-04-30", note: "Gia hạn" }) {
          deadline overdue(asOf: "2024-04-02") daysLate(asOf: "2024-04-02") history(field: DEADLINE) { fromValue toValue note } } }`,
    );
    expect(data.updateTask).toEqual({
      deadline: '2024-04-30',
      overdue: false,
      daysLate: 0,
      history: [{ fromValue: '2024-03-31', toValue: '2024-04-30', note: 'Gia hạn' }],
    });
    const after = await dataOf<{ tasks: { totalCount: number }; program: { taskCounts: { overdue: number } } }>(
      hub,
      '{ tasks(filter: { overdue: true, asOf: "2024-04-02" }) { totalCount } program(code: "DA06") { taskCounts(asOf: "2024-04-02") { overdue } } }',
    );
    expect(after).toEqual({ tasks: { totalCount: 9 }, program: { taskCounts: { overdue: 9 } } });
  });

  it('updatePilotModel changes the deadline but rejects a targetValue without writing anything', async () => {
    const before = await storedModel('M05');
    const error = await errorOf(hub, 'mutation { updatePilotModel(code: "M05", input: { targetValue: 5, deadline: "2024-12-31", note: "x" }) { code } }');
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('input.targetValue');
    expect(await storedModel('M05')).toEqual(before);

    const data = await dataOf<{ updatePilotModel: { deadline: string; history: Change[] } }>(
      hub,
      'mutation { updatePilotModel(code: "M05", input: { deadline: "2024-12-31", note: "Mở rộng" }) { deadline history { field fromValue toValue note } } }',
    );
    expect(data.updatePilotModel.deadline).toBe('2024-12-31');
    expect(data.updatePilotModel.history.slice(1)).toEqual([{ field: 'DEADLINE', fromValue: '2024-05-31', toValue: '2024-12-31', note: 'Mở rộng' }]);
    expect(await storedModel('M05')).toMatchObject({ deadline: '2024-12-31', changes: before.changes + 1 });
  });

  it('an invalid deadline is BAD_USER_INPUT and writes nothing', async () => {
    const before = await storedTask('T02.01');
    const changes = await allChanges();
    const literal = await errorOf(hub, 'mutation { updateTask(code: "T02.01", input: { deadline: "2024-13-01" }) { code } }');
    expect(literal.extensions?.code).toBe('BAD_USER_INPUT');
    expect(literal.message).toContain('2024-13-01');
    const variable = await errorOf(
      hub,
      'mutation($input: AccountabilityUpdate!) { updateTask(code: "T02.01", input: $input) { code } }',
      { input: { deadline: '2024-13-01', targetValue: 1 } },
    );
    expect(variable.extensions?.code).toBe('BAD_USER_INPUT');
    const model = await errorOf(hub, 'mutation { updatePilotModel(code: "M05", input: { deadline: "2024-02-30" }) { code } }');
    expect(model.extensions?.code).toBe('BAD_USER_INPUT');
    const negative = await errorOf(hub, 'mutation { updateTask(code: "T02.01", input: { targetValue: -1 }) { code } }');
    expect(negative.extensions?.code).toBe('BAD_USER_INPUT');
    expect(negative.extensions?.field).toBe('input.targetValue');
    expect(await storedTask('T02.01')).toEqual(before);
    expect(await allChanges()).toBe(changes);
  });

  it('overdue and daysLate of a task judged on asOf', async () => {
    const data = await dataOf<{ task: Record<string, unknown>; late: Record<string, unknown>; done: Record<string, unknown> }>(
      hub,
      `{ task: task(code: "T03.02") { deadline status
           onDeadline: overdue(asOf: "2024-03-31") daysOnDeadline: daysLate(asOf: "2024-03-31")
           meeting: overdue(asOf: "2024-04-02") daysAtMeeting: daysLate(asOf: "2024-04-02")
           endOfApril: daysLate(asOf: "2024-04-30") }
         late: pilotModel(code: "M20") { deadline overdue(asOf: "2024-04-02") daysLate(asOf: "2024-04-02") }
         done: task(code: "T05.02") { status deadline overdue(asOf: "2024-04-02") } }`,
    );
    expect(data.task).toEqual({
      deadline: '2024-03-31',
      status: 'IN_PROGRESS',
      onDeadline: false,
      daysOnDeadline: 0,
      meeting: true,
      daysAtMeeting: 2,
      endOfApril: 30,
    });
    expect(data.late).toEqual({ deadline: '2024-03-31', overdue: true, daysLate: 2 });
    // Completed tasks are never overdue.
    expect(data.done).toEqual({ status: 'COMPLETED', deadline: '2024-03-15', overdue: false });
  });

  it('updateTaskStatus works like the pilot model mutation', async () => {
    const data = await dataOf<{ updateTaskStatus: { status: string; completedAt: string | null; statusHistory: Change[] } }>(
      hub,
      `mutation { updateTaskStatus(code: "T04.01", status: COMPLETED, note: "520 cơ sở sẵn sàng") { status completedAt statusHistory { ${CHANGE_FIELDS} } } }`,
      undefined,
      healthAdmin,
    );
    expect(data.updateTaskStatus.status).toBe('COMPLETED');
    expect(data.updateTaskStatus.completedAt).not.toBeNull();
    expect(data.updateTaskStatus.statusHistory.map((change) => [change.fromValue, change.toValue, change.author, change.note])).toEqual([
      [null, 'IN_PROGRESS', SEED_AUTHOR, SEED_NOTE],
      ['IN_PROGRESS', 'COMPLETED', 'Sở Y tế', '520 cơ sở sẵn sàng'],
    ]);
    expect(await storedTask('T04.01')).toMatchObject({ status: 'COMPLETED', changes: 2 });
  });
});
