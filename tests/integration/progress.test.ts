import { parse as parseCsv } from 'csv-parse/sync';
import { todayIn } from '../../src/common/clock';
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { RunStatus, RunTrigger } from '../../src/modules/connectors/connector.entity';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { createKey, keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

/**
 * Expectations are worked out by hand from the seeded plan (src/seed/catalogue-data.ts) as reported on 2 April 2024:
 * the ten tasks due 2024-03-31 and still open, the two models due 2024-03-31 and still open (M20, M36), and the
 * sixteen completed tasks, all recorded by the initial state of 2 April 2024 (so only those due on or after that day
 * are provably on time: T03.05, T06.03, T07.05).
 */
const OVERDUE_TASKS_ON_2024_04_02: Record<string, string[]> = {
  CA_TINH: ['T02.02', 'T03.02', 'T03.03'],
  VP_UBND: ['T01.02'],
  SO_NV: ['T02.03'],
  SO_YT: ['T04.01'],
  SO_TP: ['T05.01'],
  SO_GTVT: ['T05.04'],
  SO_TTTT: ['T06.01'],
  SO_LDTBXH: ['T07.03'],
};

type Score = { total: number; doneOnTime: number; doneLate: number; doneUndated: number; openOverdue: number; openNotYetDue: number };
type Counts = { total: number; completed: number; inProgress: number; notStarted: number; overdue: number };
type Scorecard = {
  department: { code: string; nameVi: string };
  asOf: string; from: string; to: string;
  tasks: Score;
  pilotModels: Counts;
  connectors: number;
  freshness: { status: string | null; onTime: number; late: number; missing: number };
  dataQuality: { runs: number; failedRuns: number; fetched: number; rejected: number; rejectionRate: number | null };
};
const SCORECARD_FIELDS = `department { code nameVi } asOf from to
  tasks { total doneOnTime doneLate doneUndated openOverdue openNotYetDue }
  pilotModels { total completed inProgress notStarted overdue }
  connectors freshness { status onTime late missing }
  dataQuality { runs failedRuns fetched rejected rejectionRate }`;

type Overdue = { kind: string; code: string; nameVi: string; status: string; leadDepartment: { code: string }; responsiblePerson: string; deadline: string; daysLate: number };
const OVERDUE_FIELDS = 'kind code nameVi status leadDepartment { code } responsiblePerson deadline daysLate';

const REPORT = `query($period: Period!, $asOf: Date) { progressReport(period: $period, asOf: $asOf) {
  period asOf program { code }
  tasks { total completed inProgress notStarted overdue }
  pilotModels { total completed inProgress notStarted overdue }
  tasksDueInPeriod { total doneOnTime doneLate doneUndated openOverdue openNotYetDue }
  pilotModelsDueInPeriod { total doneOnTime doneLate doneUndated openOverdue openNotYetDue }
  taskGroups { taskGroup { code nameVi } leadDepartment { code } tasks { total completed overdue } pilotModels { total completed inProgress notStarted } }
  overdue { ${OVERDUE_FIELDS} }
  metricsNeedingAttention { metric { code } pilotModel { code } pilotModelStatus department { code } latestPeriod actual target ratio behindTarget stale freshness { status } }
  departments { department { code } tasks { total openOverdue } }
  statusChanges { kind code fromStatus toStatus changedOn author note leadDepartment { code } }
  markdown csvUrl markdownUrl
} }`;

type Report = {
  period: string; asOf: string; program: { code: string };
  tasks: Counts; pilotModels: Counts; tasksDueInPeriod: Score; pilotModelsDueInPeriod: Score;
  taskGroups: Array<{ taskGroup: { code: string; nameVi: string }; leadDepartment: { code: string }; tasks: { total: number; completed: number; overdue: number }; pilotModels: Omit<Counts, 'overdue'> }>;
  overdue: Overdue[];
  metricsNeedingAttention: Array<{ metric: { code: string }; pilotModel: { code: string }; pilotModelStatus: string; department: { code: string }; latestPeriod: string | null; actual: number | null; target: number | null; ratio: number | null; behindTarget: boolean; stale: boolean; freshness: { status: string } }>;
  departments: Array<{ department: { code: string }; tasks: { total: number; openOverdue: number } }>;
  statusChanges: Array<{ kind: string; code: string; fromStatus: string; toStatus: string; changedOn: string; author: string; note: string | null; leadDepartment: { code: string } }>;
  markdown: string; csvUrl: string; markdownUrl: string;
};

/** Metrics of the twelve models not started on 2 April 2024: nothing reported, so MISSING. */
const MISSING_METRICS = [
  'KIOSK_DEPLOYED', 'KIOSK_NOTARIZATIONS', // M04
  'DRIVE_TESTS_MONITORED', 'DRIVE_TEST_ID_MISMATCH', // M07
  'COURSES_PUBLISHED', 'ONLINE_LEARNERS', // M12
  'GPLX_ONLINE_DOSSIERS', 'ENROLMENT_ONLINE', 'UNEMPLOYMENT_ONLINE', 'POWER_ONLINE', 'LAND_ONLINE', 'EHEALTH_CERTS',
  'HOUSEHOLD_EINVOICE', 'STAFF_SYNC_RATE', 'LAND_LINK_RATE', // M18, M23, M24, M25, M26, M28, M33, M36, M37
];

describe('progress and accountability', () => {
  let hub: TestHub;
  const download = (path: string) => fetch(hub.hub.url.replace('/graphql', path), { headers: { ...hub.headers } });

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  const scorecards = async (variables: Record<string, unknown>) =>
    (await dataOf<{ departmentScorecards: Scorecard[] }>(
      hub,
      `query($asOf: Date, $from: Date, $to: Date, $departments: [String!]) {
        departmentScorecards(asOf: $asOf, from: $from, to: $to, departments: $departments) { ${SCORECARD_FIELDS} } }`,
      variables,
    )).departmentScorecards;

  describe('on the seeded programme, 2 April 2024', () => {
    it('programme and task-group progress: 51 tasks with 10 overdue, 38 models 6/20/12 with 2 overdue', async () => {
      const { progress } = await dataOf<{ progress: {
        asOf: string; tasks: Counts; pilotModels: Counts;
        taskGroups: Array<{ taskGroup: { code: string }; leadDepartment: { code: string }; tasks: Counts; pilotModels: Counts }>;
        overdue: Overdue[];
      } }>(hub, `{ progress(asOf: "2024-04-02") { asOf
        tasks { total completed inProgress notStarted overdue } pilotModels { total completed inProgress notStarted overdue }
        taskGroups { taskGroup { code } leadDepartment { code } tasks { total completed inProgress notStarted overdue } pilotModels { total completed inProgress notStarted overdue } }
        overdue { ${OVERDUE_FIELDS} } } }`);
      expect(progress.asOf).toBe('2024-04-02');
      expect(progress.tasks).toEqual({ total: 51, completed: 16, inProgress: 24, notStarted: 11, overdue: 10 });
      expect(progress.pilotModels).toEqual({ total: 38, completed: 6, inProgress: 20, notStarted: 12, overdue: 2 });
      expect(progress.taskGroups.map((group) => group.taskGroup.code)).toEqual(['TG01', 'TG02', 'TG03', 'TG04', 'TG05', 'TG06', 'TG07', 'TG08', 'TG09', 'TG10']);
      // TG03 (Provincial Police): T03.01–T03.05, two completed, two overdue; models M05, M09, M19–M22.
      const tg03 = progress.taskGroups[2];
      expect(tg03.leadDepartment.code).toBe('CA_TINH');
      expect(tg03.tasks).toEqual({ total: 5, completed: 2, inProgress: 3, notStarted: 0, overdue: 2 });
      expect(tg03.pilotModels).toEqual({ total: 6, completed: 3, inProgress: 3, notStarted: 0, overdue: 1 });
      // TG05 (justice, transport, land): T05.01 and T05.04 overdue, not started.
      expect(progress.taskGroups[4].tasks).toEqual({ total: 5, completed: 1, inProgress: 1, notStarted: 3, overdue: 2 });

      const tasks = progress.overdue.filter((item) => item.kind === 'TASK');
      const models = progress.overdue.filter((item) => item.kind === 'PILOT_MODEL');
      expect(tasks.map((item) => item.code).sort()).toEqual(Object.values(OVERDUE_TASKS_ON_2024_04_02).flat().sort());
      expect(models.map((item) => item.code)).toEqual(['M20', 'M36']);
      for (const item of progress.overdue) {
        expect(item.deadline).toBe('2024-03-31');
        expect(item.daysLate).toBe(2);
        expect(item.responsiblePerson.length).toBeGreaterThan(0);
      }
      expect(tasks.find((item) => item.code === 'T01.02')).toMatchObject({
        status: 'IN_PROGRESS',
        leadDepartment: { code: 'VP_UBND' },
        responsiblePerson: "Deputy Chief, Provincial People's Committee Office",
      });
      expect(models.find((item) => item.code === 'M36')).toMatchObject({ status: 'NOT_STARTED', leadDepartment: { code: 'SO_NV' } });
    });

    it('department scorecards for 2024: overdue tasks per department, completions, models and freshness', async () => {
      const cards = await scorecards({ asOf: '2024-04-02' });
      // The 13 lead agencies; the departments formed on 1 March 2025 are not in force in 2024.
      expect(cards.map((card) => card.department.code)).toEqual(
        ['BHXH', 'CA_TINH', 'NHCSXH', 'SO_GDDT', 'SO_GTVT', 'SO_LDTBXH', 'SO_NV', 'SO_TNMT', 'SO_TP', 'SO_TTTT', 'SO_YT', 'VNPT', 'VP_UBND'],
      );
      const card = (code: string) => cards.find((candidate) => candidate.department.code === code)!;
      for (const scorecard of cards) {
        expect(scorecard).toMatchObject({ asOf: '2024-04-02', from: '2024-01-01', to: '2024-12-31' });
        expect(scorecard.tasks.openOverdue).toBe(OVERDUE_TASKS_ON_2024_04_02[scorecard.department.code]?.length ?? 0);
      }
      expect(cards.reduce((sum, scorecard) => sum + scorecard.tasks.total, 0)).toBe(51);

      // CA_TINH leads 14 tasks: T03.05 and T06.03 done before their (later) deadlines, T03.04, T10.01 and T10.05
      // recorded done by 2 April after their deadlines, three overdue, six not yet due.
      expect(card('CA_TINH').tasks).toEqual({ total: 14, doneOnTime: 2, doneLate: 0, doneUndated: 3, openOverdue: 3, openNotYetDue: 6 });
      expect(card('CA_TINH').pilotModels).toEqual({ total: 7, completed: 3, inProgress: 4, notStarted: 0, overdue: 1 });
      expect(card('CA_TINH').freshness).toEqual({ status: 'ON_TIME', onTime: 9, late: 0, missing: 0 });
      expect(card('VP_UBND').tasks).toEqual({ total: 6, doneOnTime: 0, doneLate: 0, doneUndated: 1, openOverdue: 1, openNotYetDue: 4 });
      expect(card('VP_UBND').pilotModels).toEqual({ total: 5, completed: 0, inProgress: 3, notStarted: 2, overdue: 0 });
      // M25 and M33 are not started: their metrics have never been reported.
      expect(card('VP_UBND').freshness).toEqual({ status: 'MISSING', onTime: 5, late: 0, missing: 2 });
      expect(card('BHXH').tasks).toEqual({ total: 1, doneOnTime: 1, doneLate: 0, doneUndated: 0, openOverdue: 0, openNotYetDue: 0 });
      expect(card('SO_GTVT').tasks).toEqual({ total: 1, doneOnTime: 0, doneLate: 0, doneUndated: 0, openOverdue: 1, openNotYetDue: 0 });
      expect(card('SO_GTVT').pilotModels).toEqual({ total: 2, completed: 0, inProgress: 0, notStarted: 2, overdue: 0 });
      expect(card('SO_GTVT').freshness).toEqual({ status: 'MISSING', onTime: 0, late: 0, missing: 3 });
      expect(card('SO_NV').pilotModels).toEqual({ total: 1, completed: 0, inProgress: 0, notStarted: 1, overdue: 1 });
      // VNPT leads two tasks and no model, and reports no metric: no freshness status at all.
      expect(card('VNPT').tasks).toEqual({ total: 2, doneOnTime: 0, doneLate: 0, doneUndated: 1, openOverdue: 0, openNotYetDue: 1 });
      expect(card('VNPT').freshness).toEqual({ status: null, onTime: 0, late: 0, missing: 0 });
      // No connector ran: nothing fetched is missing data quality, not a perfect score.
      for (const scorecard of cards) {
        expect(scorecard.connectors).toBe(0);
        expect(scorecard.dataQuality).toEqual({ runs: 0, failedRuns: 0, fetched: 0, rejected: 0, rejectionRate: null });
      }
    });

    it('department(code) { scorecard } gives the same figures as the listing', async () => {
      const { department } = await dataOf<{ department: { scorecard: Scorecard } }>(
        hub,
        `{ department(code: "SO_YT") { scorecard(asOf: "2024-04-02") { ${SCORECARD_FIELDS} } } }`,
      );
      const [listed] = await scorecards({ asOf: '2024-04-02', departments: ['SO_YT'] });
      expect(department.scorecard).toEqual(listed);
      expect(listed.department.nameVi).toBe('Sở Y tế');
      expect(listed.tasks).toEqual({ total: 5, doneOnTime: 0, doneLate: 0, doneUndated: 1, openOverdue: 1, openNotYetDue: 3 });
      expect(listed.freshness).toEqual({ status: 'MISSING', onTime: 6, late: 0, missing: 1 });
    });

    it('progressReport for 2024-Q1 on the meeting day: the ten Q1 tasks not completed on schedule', async () => {
      const { progressReport: report } = await dataOf<{ progressReport: Report }>(hub, REPORT, { period: '2024-Q1', asOf: '2024-04-02' });
      expect(report).toMatchObject({ period: '2024-Q1', asOf: '2024-04-02', program: { code: 'DA06' } });
      expect(report.tasks.overdue).toBe(10);
      // 23 tasks due in Q1: 13 recorded done by 2 April (after their deadlines, so undated), 10 open.
      expect(report.tasksDueInPeriod).toEqual({ total: 23, doneOnTime: 0, doneLate: 0, doneUndated: 13, openOverdue: 10, openNotYetDue: 0 });
      // Models due in Q1: M13, M19, M21, M22, M34 completed; M20, M36 open.
      expect(report.pilotModelsDueInPeriod).toEqual({ total: 7, doneOnTime: 0, doneLate: 0, doneUndated: 5, openOverdue: 2, openNotYetDue: 0 });
      expect(report.overdue).toHaveLength(12);
      expect(report.departments.find((card) => card.department.code === 'CA_TINH')!.tasks).toEqual({ total: 6, openOverdue: 3 });
      expect(report.departments.reduce((sum, card) => sum + card.tasks.total, 0)).toBe(23);
      // Stale metrics: those of the not-started models; no target date has come yet, so nothing is behind target.
      expect(report.metricsNeedingAttention.map((standing) => standing.metric.code).sort()).toEqual([...MISSING_METRICS].sort());
      expect(report.metricsNeedingAttention.every((standing) => standing.stale && !standing.behindTarget && standing.pilotModelStatus === 'NOT_STARTED')).toBe(true);
      expect(report.metricsNeedingAttention.every((standing) => standing.latestPeriod === null && standing.actual === null && standing.ratio === null)).toBe(true);
      expect(report.statusChanges).toEqual([]);
      expect(report.csvUrl).toBe('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=vi');
      expect(report.markdownUrl).toBe('/reports/progress.md?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=vi');

      expect(report.markdown).toContain('# Đề án 06');
      // Vietnamese: headings, names and the responsible persons' titles.
      expect(report.markdown).toContain('## Quá hạn — rõ người, rõ việc, rõ thời gian');
      expect(report.markdown).toMatch(/\| nhiệm vụ \| T01\.02 \| [^|]+ \| Văn phòng UBND tỉnh \| Phó Chánh Văn phòng UBND tỉnh \| 2024-03-31 \| 2 \|/);
      expect(report.markdown).toContain('| TG01 | Dịch vụ công trực tuyến và thủ tục hành chính | Văn phòng UBND tỉnh |');
    });

    it('progressReport for 2024-Q1 defaults to the last day of the quarter, when the tasks due that day were not yet late', async () => {
      const { progressReport: report } = await dataOf<{ progressReport: Report }>(hub, REPORT, { period: '2024-Q1' });
      expect(report.asOf).toBe('2024-03-31');
      expect(report.overdue).toEqual([]);
      // T07.02 is due 2024-03-31 and recorded completed: done by its deadline.
      expect(report.tasksDueInPeriod).toEqual({ total: 23, doneOnTime: 1, doneLate: 0, doneUndated: 12, openOverdue: 0, openNotYetDue: 10 });
    });
  });

  describe('after changes made today', () => {
    const today = () => todayIn('Asia/Ho_Chi_Minh');
    let pushId: string;

    beforeAll(async () => {
      // The author of a change is the name of the key that made it.
      const officeKey = await createKey(hub, Role.ADMIN, [], 'VP UBND');
      await dataOf(hub, 'mutation { updateTaskStatus(code: "T01.02", status: COMPLETED, note: "Quy chế phối hợp đã ban hành") { code } }', undefined, officeKey.headers);
      await dataOf(hub, 'mutation { updateTask(code: "T05.04", input: { deadline: "2024-06-30", responsiblePerson: "Director, Department of Construction", note: "Handed over" }) { code } }');
      await dataOf(hub, 'mutation { setMetricTarget(code: "KCB_FACILITIES_READY_RATE", targetValue: 100, targetDate: "2024-03-31") { code } }');
      const registered = await dataOf<{ registerConnector: { id: string } }>(
        hub,
        'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }',
        { input: { name: 'Health push', kind: 'push', department: 'SO_YT', config: {} } },
      );
      pushId = registered.registerConnector.id;
      // 4 rows fetched, 1 rejected (negative value).
      await dataOf(hub, `mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { summary { rejected } } }`, {
        id: pushId,
        rows: [
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-01', value: 120 },
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2024-05-01', value: 80 },
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '414', period: '2024-05-01', value: 60 },
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-02', value: -3 },
        ],
      });
    });

    it('the picture of 2 April 2024 does not change: statuses and deadlines are rebuilt from the history', async () => {
      const { progress } = await dataOf<{ progress: { tasks: Counts; overdue: Overdue[] } }>(
        hub,
        `{ progress(asOf: "2024-04-02") { tasks { total completed overdue } overdue { ${OVERDUE_FIELDS} } } }`,
      );
      expect(progress.tasks).toEqual({ total: 51, completed: 16, overdue: 10 });
      expect(progress.overdue.find((item) => item.code === 'T01.02')).toMatchObject({ status: 'IN_PROGRESS', daysLate: 2 });
      expect(progress.overdue.find((item) => item.code === 'T05.04')).toMatchObject({
        deadline: '2024-03-31',
        responsiblePerson: 'Deputy Director, Department of Transport',
      });
      const [soYt] = await scorecards({ asOf: '2024-04-02', departments: ['SO_YT'] });
      expect(soYt.connectors).toBe(0);
      expect(soYt.dataQuality.rejectionRate).toBeNull();
    });

    it('today: T01.02 is done late, T05.04 carries its new deadline, the push counts toward data quality', async () => {
      const cards = await scorecards({ from: '2024-01-01', to: today(), departments: ['VP_UBND', 'SO_GTVT', 'SO_YT', 'SO_TP'] });
      const card = (code: string) => cards.find((candidate) => candidate.department.code === code)!;
      // Now every open 2024 task is long overdue; T01.02 was completed today, after its deadline.
      expect(card('VP_UBND').tasks).toMatchObject({ total: 6, doneLate: 1, doneUndated: 1, openOverdue: 4, openNotYetDue: 0 });
      expect(card('SO_GTVT').tasks).toEqual({ total: 1, doneOnTime: 0, doneLate: 0, doneUndated: 0, openOverdue: 1, openNotYetDue: 0 });
      expect(card('SO_YT').connectors).toBe(1);
      expect(card('SO_YT').dataQuality).toEqual({ runs: 1, failedRuns: 0, fetched: 4, rejected: 1, rejectionRate: 0.25 });
      expect(card('SO_TP').dataQuality.rejectionRate).toBeNull();

      const { progress } = await dataOf<{ progress: { overdue: Overdue[] } }>(hub, `{ progress { overdue { ${OVERDUE_FIELDS} } } }`);
      expect(progress.overdue.find((item) => item.code === 'T01.02')).toBeUndefined();
      expect(progress.overdue.find((item) => item.code === 'T05.04')).toMatchObject({
        deadline: '2024-06-30',
        responsiblePerson: 'Director, Department of Construction',
      });
    });

    it('the report of the current month lists today’s status change; a passed target date puts a metric behind target', async () => {
      const month = today().slice(0, 7);
      const { progressReport: report } = await dataOf<{ progressReport: Report }>(hub, REPORT, { period: month });
      expect(report.asOf).toBe(today());
      expect(report.statusChanges).toEqual([{
        kind: 'TASK', code: 'T01.02', fromStatus: 'IN_PROGRESS', toStatus: 'COMPLETED', changedOn: today(),
        author: 'VP UBND', note: 'Quy chế phối hợp đã ban hành', leadDepartment: { code: 'VP_UBND' },
      }]);
      const { progressReport: q2 } = await dataOf<{ progressReport: Report }>(hub, REPORT, { period: '2024-Q2' });
      const ready = q2.metricsNeedingAttention.find((standing) => standing.metric.code === 'KCB_FACILITIES_READY_RATE')!;
      expect(ready).toMatchObject({ pilotModel: { code: 'M03' }, target: 100, behindTarget: true, latestPeriod: '2024-03' });
      expect(ready.ratio).toBeGreaterThan(0);
      expect(ready.ratio).toBeLessThan(1);
      expect(ready.actual! / 100).toBeCloseTo(ready.ratio!, 10);
    });
  });

  describe('data quality window', () => {
    it('runs count by the local day they started, within the window and up to asOf; nothing fetched is a null rate', async () => {
      const registered = await dataOf<{ registerConnector: { id: string } }>(
        hub,
        'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }',
        { input: { name: 'Justice push', kind: 'push', department: 'SO_TP', config: {} } },
      );
      const run = (status: RunStatus, startedAt: string, fetched: number, rejected: number) => ({
        connectorId: databaseIdOf(registered.registerConnector.id),
        trigger: RunTrigger.PUSH,
        status,
        attempts: 1,
        startedAt: new Date(startedAt),
        finishedAt: new Date(startedAt),
        fetched,
        imported: fetched - rejected,
        rejected,
        owner: 'test',
        startedBy: 'test',
      });
      await hub.dataSource.getRepository(ConnectorRun).insert([
        // 23:59:59 on 31 March in Hanoi: the last second of Q1.
        run(RunStatus.FAILED, '2024-03-31T16:59:59Z', 0, 0),
        // 00:00 on 1 April in Hanoi.
        run(RunStatus.PARTIAL, '2024-03-31T17:00:00Z', 10, 2),
      ]);
      const quality = async (variables: Record<string, string>) =>
        (await scorecards({ ...variables, departments: ['SO_TP'] }))[0].dataQuality;
      expect(await quality({ asOf: '2024-04-02', from: '2024-01-01', to: '2024-03-31' }))
        .toEqual({ runs: 1, failedRuns: 1, fetched: 0, rejected: 0, rejectionRate: null });
      expect(await quality({ asOf: '2024-04-02', from: '2024-01-01', to: '2024-04-30' }))
        .toEqual({ runs: 2, failedRuns: 1, fetched: 10, rejected: 2, rejectionRate: 0.2 });
      expect(await quality({ asOf: '2024-03-31', from: '2024-01-01', to: '2024-04-30' }))
        .toEqual({ runs: 1, failedRuns: 1, fetched: 0, rejected: 0, rejectionRate: null });
      expect(await quality({ asOf: '2024-04-02', from: '2024-04-01', to: '2024-04-30' }))
        .toEqual({ runs: 1, failedRuns: 0, fetched: 10, rejected: 2, rejectionRate: 0.2 });
    });
  });

  describe('downloads', () => {
    it('GET /reports/progress.csv is UTF-8 CSV with a BOM, one row per item with its section', async () => {
      const response = await download('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toContain('progress-DA06-2024-Q1-asof-2024-04-02.csv');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const rows = parseCsv(bytes.toString('utf8'), { bom: true, columns: true }) as Array<Record<string, string>>;
      expect(Object.keys(rows[0])).toEqual(['section', 'kind', 'code', 'name', 'department', 'responsible_person', 'deadline', 'status', 'days_late', 'measure', 'value', 'note']);
      const sections = new Set(rows.map((row) => row.section));
      expect([...sections]).toEqual(['summary', 'task_group', 'department', 'overdue', 'metric']);

      const summary = (measure: string) => rows.find((row) => row.section === 'summary' && row.measure === measure)?.value;
      expect(summary('as_of')).toBe('2024-04-02');
      expect(summary('tasks_total')).toBe('51');
      expect(summary('tasks_overdue')).toBe('10');
      expect(summary('pilot_models_completed')).toBe('6');
      expect(summary('tasks_due_in_period_open_overdue')).toBe('10');

      const overdue = rows.filter((row) => row.section === 'overdue');
      expect(overdue).toHaveLength(12);
      const perDepartment: Record<string, number> = {};
      for (const row of overdue.filter((candidate) => candidate.kind === 'TASK')) perDepartment[row.department] = (perDepartment[row.department] ?? 0) + 1;
      expect(perDepartment).toEqual(Object.fromEntries(Object.entries(OVERDUE_TASKS_ON_2024_04_02).map(([code, tasks]) => [code, tasks.length])));
      expect(overdue.find((row) => row.code === 'M36')).toMatchObject({
        kind: 'PILOT_MODEL', department: 'SO_NV', deadline: '2024-03-31', days_late: '2', status: 'NOT_STARTED',
      });

      const department = (code: string, measure: string) => rows.find((row) => row.section === 'department' && row.code === code && row.measure === measure);
      expect(department('CA_TINH', 'tasks_open_overdue')?.value).toBe('3');
      expect(department('SO_YT', 'tasks_total')?.name).toBe('Sở Y tế');
      // Missing is an empty cell, never 0.
      expect(department('SO_YT', 'rejection_rate')?.value).toBe('');
      expect(rows.find((row) => row.section === 'task_group' && row.code === 'TG06')?.name).toBe('Trung tâm Điều hành thông minh (IOC), hạ tầng và xác thực tập trung');
      // The metrics never reported, and KCB_FACILITIES_READY_RATE, whose target date was moved to 2024-03-31 above.
      const metrics = rows.filter((row) => row.section === 'metric');
      expect(metrics.map((row) => row.code).sort()).toEqual([...MISSING_METRICS, 'KCB_FACILITIES_READY_RATE'].sort());
      expect(metrics.find((row) => row.code === 'KCB_FACILITIES_READY_RATE')).toMatchObject({ status: 'ON_TIME', deadline: '2024-03-31', department: 'SO_YT' });
      expect(metrics.find((row) => row.code === 'KCB_FACILITIES_READY_RATE')!.note).toContain('behind target');
      expect(metrics.find((row) => row.code === 'STAFF_SYNC_RATE')).toMatchObject({ status: 'MISSING', value: '' });
    });

    it('GET /reports/progress.md is the Markdown of the report', async () => {
      const response = await download('/reports/progress.md?period=2024-Q1&asOf=2024-04-02');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
      const markdown = await response.text();
      const { progressReport } = await dataOf<{ progressReport: { markdown: string } }>(
        hub, '{ progressReport(period: "2024-Q1", asOf: "2024-04-02") { markdown } }',
      );
      expect(markdown).toBe(progressReport.markdown);
      expect(markdown).toContain('| SO_GTVT | Sở Giao thông vận tải |');
    });

    it('lang=en gives the report in English (headings, names, titles), lang=vi (the default) in Vietnamese; others are refused', async () => {
      const english = await (await download('/reports/progress.md?period=2024-Q1&asOf=2024-04-02&lang=en')).text();
      expect(english).toContain('## Overdue — clear person, clear task, clear time');
      expect(english).toMatch(/\| task \| T01\.02 \| [^|]+ \| [^|]+ \| Deputy Chief, Provincial People's Committee Office \| 2024-03-31 \| 2 \|/);
      const vietnamese = await (await download('/reports/progress.md?period=2024-Q1&asOf=2024-04-02&lang=vi')).text();
      expect(vietnamese).toBe(await (await download('/reports/progress.md?period=2024-Q1&asOf=2024-04-02')).text());
      expect(vietnamese).toContain('| Phó Giám đốc Sở Y tế |');
      const csv = (text: string) => parseCsv(text, { bom: true, columns: true }) as Array<Record<string, string>>;
      const englishRows = csv(await (await download('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02&lang=en')).text());
      const vietnameseRows = csv(await (await download('/reports/progress.csv?period=2024-Q1&asOf=2024-04-02')).text());
      const t0102 = (rows: Array<Record<string, string>>) => rows.find((row) => row.section === 'overdue' && row.code === 'T01.02')?.responsible_person;
      expect([t0102(englishRows), t0102(vietnameseRows)]).toEqual(["Deputy Chief, Provincial People's Committee Office", 'Phó Chánh Văn phòng UBND tỉnh']);
      const refused = await download('/reports/progress.csv?period=2024-Q1&lang=fr');
      expect([refused.status, ((await refused.json()) as { errors: Array<{ extensions: { field: string } }> }).errors[0].extensions.field]).toEqual([400, 'lang']);

      // The GraphQL fields take the same lang: markdown is the download's text, the links carry lang.
      const { progressReport: inEnglish } = await dataOf<{ progressReport: { markdown: string; markdownVi: string; csvUrl: string; markdownUrl: string } }>(
        hub, '{ progressReport(period: "2024-Q1", asOf: "2024-04-02") { markdown(lang: en) markdownVi: markdown(lang: vi) csvUrl(lang: en) markdownUrl(lang: en) } }',
      );
      expect([inEnglish.markdown, inEnglish.markdownVi]).toEqual([english, vietnamese]);
      expect([inEnglish.csvUrl, inEnglish.markdownUrl]).toEqual([
        '/reports/progress.csv?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=en',
        '/reports/progress.md?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=en',
      ]);
      expect(t0102(csv(await (await download(inEnglish.csvUrl)).text()))).toBe("Deputy Chief, Provincial People's Committee Office");
      const wrong = await errorOf(hub, '{ progressReport(period: "2024-Q1") { markdown(lang: fr) } }');
      expect([wrong.extensions?.code, wrong.message]).toEqual(['BAD_USER_INPUT', expect.stringContaining('ReportLanguage')]);
    });

    it.each([
      ['', 'period'],
      ['?period=2024-13', 'period'],
      ['?period=2024-03-15', 'period'],
      ['?period=2024-W10', 'period'],
      ['?period=2024-Q1&asOf=2023-12-31', 'asOf'],
      ['?period=2024-Q1&asOf=2024-02-30', 'asOf'],
      ['?period=2024-Q1&period=2024-Q2', 'period'],
      ['?period=2024-Q1&format=xlsx', 'format'],
    ])('GET /reports/progress.csv%s answers 400 BAD_USER_INPUT naming %s', async (query, field) => {
      const response = await download(`/reports/progress.csv${query}`);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string; field: string } }> };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].extensions.field).toBe(field);
      expect(body.errors[0].message.startsWith(`${field}:`)).toBe(true);
    });

    it('the download is for the operational read roles: a VIEWER key is refused with 403, no key with 401', async () => {
      const statuses: Record<string, number> = {};
      for (const role of Object.values(Role)) {
        const headers = await keyHeaders(hub, role, role === Role.DEPARTMENT_IT ? ['SO_YT'] : []);
        const response = await fetch(hub.hub.url.replace('/graphql', '/reports/progress.csv?period=2024-Q1'), { headers });
        statuses[role] = response.status;
        if (response.status === 403) expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('FORBIDDEN');
        else await response.arrayBuffer();
      }
      expect(statuses).toEqual({ ADMIN: 200, DEPARTMENT_IT: 200, ANALYST: 200, VIEWER: 403 });
      expect((await fetch(hub.hub.url.replace('/graphql', '/reports/progress.csv?period=2024-Q1'))).status).toBe(401);
    });

    it('an unknown programme is 404, an unknown format too', async () => {
      expect((await download('/reports/progress.csv?period=2024-Q1&program=DA99')).status).toBe(404);
      expect((await download('/reports/progress.pdf?period=2024-Q1')).status).toBe(404);
    });
  });

  describe('input checks', () => {
    it.each([
      ['{ progressReport(period: "2024-W10") { period } }', 'period'],
      ['{ progressReport(period: "2024-Q1", asOf: "2023-12-01") { period } }', 'asOf'],
      ['{ departmentScorecards(asOf: "2024-04-02", from: "2024-12-31", to: "2024-01-01") { connectors } }', 'from'],
      ['{ departmentScorecards(departments: ["SO_YT", "SO_NONE"]) { connectors } }', 'departments'],
    ])('%s is BAD_USER_INPUT naming %s', async (query, field) => {
      const error = await errorOf(hub, query);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message.startsWith(`${field}:`)).toBe(true);
    });

    it('a malformed period is refused by the Period scalar', async () => {
      const error = await errorOf(hub, '{ progressReport(period: "2024-Q5") { period } }');
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('SQL statements', () => {
    const count = async (query: string) => {
      hub.counter.reset();
      const response = await hub.graphql(query);
      expect(response.errors).toBeUndefined();
      return hub.counter.statements.length;
    };

    it('scorecards of 2 or of all 15 departments cost the same fixed number of statements', async () => {
      const fields = 'department { code } tasks { total } pilotModels { total } connectors freshness { onTime } dataQuality { rejectionRate }';
      const two = await count(`{ departmentScorecards(asOf: "2024-04-02", departments: ["SO_YT", "CA_TINH"]) { ${fields} } }`);
      hub.counter.reset();
      const all = await hub.graphql<{ departmentScorecards: unknown[] }>(`{ departmentScorecards(asOf: "2025-06-30", from: "2024-01-01", to: "2025-12-31") { ${fields} } }`);
      expect(all.data!.departmentScorecards).toHaveLength(15);
      expect(hub.counter.statements.length).toBe(two);
      // departments, task groups, tasks, models, their histories, metrics, connectors, latest values, totals, runs,
      // and the reorganization moves after asOf (who led what on that day)
      expect(two).toBeLessThanOrEqual(12);
    });

    it('the whole report, with departments, overdue items and metrics, costs a fixed number of statements', async () => {
      const statements = await count(REPORT.replace('query($period: Period!, $asOf: Date) { progressReport(period: $period, asOf: $asOf)', '{ progressReport(period: "2024-Q1", asOf: "2024-04-02")'));
      // programme + snapshot (11) + task groups, departments, metrics, models of nested fields through loaders
      expect(statements).toBeLessThanOrEqual(16);
    });
  });
});
