/**
 * Bad input for every catalogue mutation (issue 17, part 1): unknown departments, programmes, groups and models,
 * duplicate codes, retired parents, wrong kinds, bad dates. Each is refused whole, naming the field, over the API
 * and through the service functions other callers (the spreadsheet import) use with text they read.
 */
import { todayIn } from '../../src/common/clock';
import { MetricFrequency, MetricKind } from '../../src/common/enums';
import type { RequestScope } from '../../src/common/request-scope';
import { RequestLoaders } from '../../src/graphql/loaders';
import { createMetric, createPilotModel, createTask, updateMetric } from '../../src/modules/catalogue/catalogue-lifecycle.service';
import { SYSTEM_PRINCIPAL } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
import { dataOf, errorOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const TABLES = ['program', 'task_group', 'task', 'task_change', 'pilot_model', 'pilot_model_change', 'pilot_model_supporting_department', 'metric', 'metric_change'];

describe('catalogue mutations refuse bad input', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  const counts = () => rowCounts(hub.dataSource, TABLES);
  /** GraphQL input fields from `base` with `changes` (given as `field: value` text) replacing or adding fields. */
  const withFields = (base: string, changes: string) => {
    const fields = (text: string) => new Map(text.split(/, (?=\w+: )/).filter(Boolean).map((field) => [field.slice(0, field.indexOf(':')), field] as const));
    return [...new Map([...fields(base), ...fields(changes)]).values()].join(', ');
  };
  /** The mutation fails with one error of `code` naming `field` (also in the message, with `text`), and nothing is written. */
  const refused = async (mutation: string, code: string, field: string | undefined, text: string) => {
    const before = await counts();
    const error = await errorOf(hub, `mutation { ${mutation} }`);
    expect({ mutation, code: error.extensions?.code, field: error.extensions?.field }).toEqual({ mutation, code, field });
    if (field) expect(error.message).toContain(field);
    expect(error.message).toContain(text);
    expect(await counts()).toEqual(before);
  };

  it('createTaskGroup: unknown programme, unknown or merged lead department, a year before the programme, a bad code', async () => {
    const group = (input: string) => `createTaskGroup(input: { ${withFields('code: "TG50", name: "x", program: "DA06", planYear: 2024, leadDepartment: "SO_YT"', input)} }) { code }`;
    await refused(group('program: "DA99"'), 'BAD_USER_INPUT', 'input.program', 'unknown programme "DA99"');
    await refused(group('leadDepartment: "SO_XX"'), 'BAD_USER_INPUT', 'input.leadDepartment', 'unknown department "SO_XX"');
    await refused(group('leadDepartment: "SO_GTVT"'), 'BAD_USER_INPUT', 'input.leadDepartment', 'no longer exists');
    await refused(group('planYear: 2023'), 'BAD_USER_INPUT', 'input.planYear', 'starts with its 2024 plan');
    await refused(group('code: "TG 50"'), 'BAD_USER_INPUT', 'input.code', 'letters, digits');
    await refused(group('name: ""'), 'BAD_USER_INPUT', 'input.name', 'required');
  });

  it('createTask, retireTask: unknown group or department, duplicate code, a unit without a target, unknown or retired task, no note', async () => {
    const task = (input: string) =>
      `createTask(input: { ${withFields('code: "T50.01", title: "x", taskGroup: "TG01", leadDepartment: "SO_YT", responsiblePerson: "Giám đốc", deadline: "2026-12-31"', input)} }) { code }`;
    await refused(task('taskGroup: "TG99"'), 'BAD_USER_INPUT', 'input.taskGroup', 'unknown task group "TG99"');
    await refused(task('leadDepartment: "SO_XX"'), 'BAD_USER_INPUT', 'input.leadDepartment', 'unknown department "SO_XX"');
    await refused(task('code: "T01.01"'), 'CONFLICT', 'input.code', 'already exists');
    await refused(task('targetUnit: "huyện"'), 'BAD_USER_INPUT', 'input.targetUnit', 'needs a targetValue');
    await refused(task('title: "  "'), 'BAD_USER_INPUT', 'input.title', 'blank');
    await refused('retireTask(code: "T99.99", note: "x") { code }', 'NOT_FOUND', undefined, 'T99.99');
    await refused('retireTask(code: "T01.01", note: " ") { code }', 'BAD_USER_INPUT', 'note', 'say why');
    await dataOf(hub, 'mutation { retireTask(code: "T01.02", note: "Bỏ khỏi kế hoạch") { code } }');
    await refused('retireTask(code: "T01.02", note: "again") { code }', 'CONFLICT', 'code', 'was retired');
    await refused('updateTask(code: "T01.02", input: { status: COMPLETED }) { code }', 'BAD_USER_INPUT', 'code', 'retired');
  });

  it('createProgram and createPlan: blank names, bad codes and years, a plan before the programme', async () => {
    const program = (input: string) => `createProgram(input: { ${withFields('code: "DA50", name: "x", nameVi: "x", decision: "QĐ", planYear: 2025', input)} }) { code }`;
    await refused(program('code: ""'), 'BAD_USER_INPUT', 'input.code', 'required');
    await refused(program('nameVi: " "'), 'BAD_USER_INPUT', 'input.nameVi', 'blank');
    await refused(program('decision: ""'), 'BAD_USER_INPUT', 'input.decision', 'blank');
    await refused(program('planYear: 1999'), 'BAD_USER_INPUT', 'input.planYear', 'from 2000 to 2100');
    await refused(program('code: "DA06"'), 'CONFLICT', 'input.code', 'already exists');
    await refused('createPlan(input: { program: "DA06", planYear: 2023, note: "x" }) { planYear }', 'BAD_USER_INPUT', 'input.planYear', 'starts with its 2024 plan');
    await refused('createPlan(input: { program: "DA06", planYear: 2026, note: " " }) { planYear }', 'BAD_USER_INPUT', 'input.note', 'say why');
  });

  it('metrics: bounds and targets of the wrong kind on update, levels twice, a merged department, unknown codes', async () => {
    await refused('updateMetric(code: "DVC_ONLINE_RATE", input: { maxValue: 150 }) { code }', 'BAD_USER_INPUT', 'input.maxValue', 'percentage');
    await refused('updateMetric(code: "DVC_ONLINE_RATE", input: { targetValue: 101 }) { code }', 'BAD_USER_INPUT', 'input.targetValue', 'percentage');
    await refused('updateMetric(code: "KCB_BIOMETRIC_VISITS", input: { minValue: 10, maxValue: 5 }) { code }', 'BAD_USER_INPUT', 'input.minValue', 'must not exceed maxValue');
    await refused('updateMetric(code: "KCB_BIOMETRIC_VISITS", input: { reportingLagDays: 400 }) { code }', 'BAD_USER_INPUT', 'input.reportingLagDays', '0 to 366');
    await refused('updateMetric(code: "KCB_BIOMETRIC_VISITS", input: { levels: [COMMUNE, COMMUNE] }) { code }', 'BAD_USER_INPUT', 'input.levels[1]', 'listed twice');
    await refused('retireMetric(code: "NO_SUCH", note: "x") { code }', 'NOT_FOUND', undefined, 'NO_SUCH');
    await refused('retirePilotModel(code: "M99", note: "x") { code }', 'NOT_FOUND', undefined, 'M99');
    const metric = (input: string) => `createMetric(input: { ${withFields('code: "KCB_X", name: "x", kind: COUNT, frequency: MONTH, department: "SO_YT", pilotModel: "M03"', input)} }) { code }`;
    await refused(metric('pilotModel: ""'), 'BAD_USER_INPUT', 'input.pilotModel', 'required');
    await refused(metric('department: "SO_LDTBXH"'), 'BAD_USER_INPUT', 'input.department', 'no longer exists');
    await refused(metric('kind: STOCK, minValue: -1'), 'BAD_USER_INPUT', 'input.minValue', 'non-negative');
  });

  it('the service functions check what other callers pass as text: dates, kinds, frequencies, levels', async () => {
    const timeZone = hub.hubConfig.timeZone;
    const scope: RequestScope = { dataSource: hub.dataSource, principal: SYSTEM_PRINCIPAL, actor: 'catalogue import', loaders: new RequestLoaders(hub.dataSource), today: todayIn(timeZone), timeZone };
    const refusedByService = async (work: () => Promise<unknown>, field: string, text: string) => {
      const before = await counts();
      // Input checks throw before the transaction starts, database checks inside it: either way the call fails.
      await expect(Promise.resolve().then(work)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field, message: expect.stringContaining(text) });
      expect(await counts()).toEqual(before);
    };
    const task = { code: 'T51.01', title: 'x', taskGroup: 'TG01', leadDepartment: 'SO_YT', responsiblePerson: 'Giám đốc', deadline: '2026-12-31' };
    await refusedByService(() => createTask(scope, { ...task, deadline: '2026-02-30' }), 'input.deadline', '"2026-02-30" is not a calendar date');
    await refusedByService(() => createTask(scope, { ...task, deadline: '31/12/2026' }), 'input.deadline', 'YYYY-MM-DD');
    await refusedByService(() => createTask(scope, { ...task, deadline: '' }), 'input.deadline', 'is required');
    await refusedByService(() => createPilotModel(scope, { code: 'M51', name: 'x', leadDepartment: 'SO_YT', deadline: '2026-13-01' }), 'input.deadline', 'not a calendar date');
    const metric = { code: 'KCB_Y', name: 'x', kind: MetricKind.COUNT, frequency: MetricFrequency.MONTH, department: 'SO_YT', pilotModel: 'M03' };
    await refusedByService(() => createMetric(scope, { ...metric, kind: 'PERCENT' as MetricKind }), 'input.kind', 'COUNT, STOCK or RATE');
    await refusedByService(() => createMetric(scope, { ...metric, frequency: 'MONTHLY' as MetricFrequency }), 'input.frequency', 'must be one of');
    await refusedByService(() => createMetric(scope, { ...metric, levels: ['WARD'] }), 'input.levels[0]', 'unknown unit level "WARD"');
    await refusedByService(() => createMetric(scope, { ...metric, targetValue: 5, targetDate: '2026-02-29' }), 'input.targetDate', 'not a calendar date');
    await refusedByService(() => updateMetric(scope, 'KCB_BIOMETRIC_VISITS', { targetValue: 5, targetDate: '2026-4-1' }), 'input.targetDate', 'YYYY-MM-DD');
  });
});
