import * as catalogue from '../../src/seed/catalogue-data';
import { dataOf, errorOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

/** Byte-exact comparison of Vietnamese text: same UTF-8 bytes, not just a similar-looking string. */
const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('hex');

const seedModel = (code: string) => catalogue.pilotModels.find((model) => model.code === code)!;
const seedTask = (code: string) => catalogue.tasks.find((task) => task.code === code)!;
const seedDepartment = (code: string) => catalogue.departments.find((department) => department.code === code)!;
const seedMetric = (code: string) => catalogue.metrics.find((metric) => metric.code === code)!;

describe('lookups by code', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  it('program DA06 with its Vietnamese name, decision, plan year and task groups in plan order', async () => {
    const data = await dataOf<{ program: { code: string; name: string; nameVi: string; decision: string; planYear: number; taskGroups: Array<{ code: string; number: number }> } }>(
      hub,
      '{ program(code: "DA06") { code name nameVi decision planYear taskGroups { code number } } }',
    );
    const program = data.program;
    expect(program).toMatchObject({ code: 'DA06', name: catalogue.program.name, decision: '06/QĐ-TTg of 6 January 2022', planYear: 2024 });
    expect(utf8(program.nameVi)).toBe(utf8(catalogue.program.nameVi));
    expect(program.nameVi.startsWith('Đề án 06: Phát triển ứng dụng dữ liệu về dân cư')).toBe(true);
    expect(program.taskGroups).toEqual(catalogue.taskGroups.map((group) => ({ code: group.code, number: group.number })));
    const programs = await dataOf<{ programs: { totalCount: number; edges: Array<{ node: { code: string } }> } }>(
      hub,
      '{ programs(first: 10) { totalCount edges { node { code } } } }',
    );
    expect(programs.programs).toEqual({ totalCount: 1, edges: [{ node: { code: 'DA06' } }] });
    const groups = await dataOf<{ taskGroups: { edges: Array<{ node: { code: string } }> } }>(
      hub,
      '{ taskGroups(program: "DA06", first: 3) { edges { node { code } } } }',
    );
    expect(groups.taskGroups.edges.map(({ node }) => node.code)).toEqual(['TG01', 'TG02', 'TG03']);
  });

  it('taskGroup TG04 with its lead department, programme, tasks and pilot models', async () => {
    const data = await dataOf<{ taskGroup: {
      code: string; number: number; name: string; nameVi: string; basis: string;
      leadDepartment: { code: string }; program: { code: string };
      tasks: { totalCount: number; edges: Array<{ node: { code: string } }> };
      pilotModels: Array<{ code: string }>;
    } }>(
      hub,
      '{ taskGroup(code: "TG04") { code number name nameVi basis leadDepartment { code } program { code } tasks { totalCount edges { node { code } } } pilotModels { code } } }',
    );
    const group = data.taskGroup;
    const seed = catalogue.taskGroups.find((candidate) => candidate.code === 'TG04')!;
    expect(group).toMatchObject({ code: 'TG04', number: 4, name: seed.name, basis: 'INFERRED', leadDepartment: { code: 'SO_YT' }, program: { code: 'DA06' } });
    expect(utf8(group.nameVi)).toBe(utf8('Ứng dụng dữ liệu dân cư trong y tế và an sinh xã hội'));
    const seedTasks = catalogue.tasks.filter((task) => task.taskGroupCode === 'TG04').map((task) => task.code);
    expect(group.tasks.totalCount).toBe(seedTasks.length);
    expect(group.tasks.edges.map((edge) => edge.node.code)).toEqual(seedTasks);
    expect(group.pilotModels.map((model) => model.code)).toEqual(
      catalogue.pilotModels.filter((model) => model.taskGroupCode === 'TG04').map((model) => model.code),
    );
  });

  it('task T01.02 with its accountable facts', async () => {
    const data = await dataOf<{ task: Record<string, unknown> }>(
      hub,
      `{ task(code: "T01.02") { code title titleVi responsiblePerson deadline status product targetValue targetUnit basis isDemo completedAt
          leadDepartment { code } taskGroup { code } } }`,
    );
    const seed = seedTask('T01.02');
    expect(data.task).toEqual({
      code: 'T01.02',
      title: seed.title,
      titleVi: seed.titleVi,
      responsiblePerson: "Deputy Chief, Provincial People's Committee Office",
      deadline: '2024-03-31',
      status: 'IN_PROGRESS',
      product: seed.product,
      targetValue: 20,
      targetUnit: 'procedures',
      basis: 'INFERRED',
      isDemo: true,
      completedAt: null,
      leadDepartment: { code: 'VP_UBND' },
      taskGroup: { code: 'TG01' },
    });
    expect(utf8(data.task.titleVi as string)).toBe(utf8('Rà soát, tái cấu trúc quy trình thủ tục hành chính để xử lý không giấy tờ'));
    // A task without a target quantity.
    const open = await dataOf<{ task: { targetValue: number | null; targetUnit: string | null } }>(hub, '{ task(code: "T06.01") { targetValue targetUnit } }');
    expect(open.task).toEqual({ targetValue: seedTask('T06.01').targetValue, targetUnit: null });
    expect(open.task.targetValue).toBeNull();
  });

  it('pilotModel M03 with its department, group, supporting departments and metrics', async () => {
    const data = await dataOf<{ pilotModel: Record<string, unknown> & { supportingDepartments: Array<{ code: string }>; metrics: Array<{ code: string }> } }>(
      hub,
      `{ pilotModel(code: "M03") { code number name nameVi status deadline responsiblePerson basis isDemo statusIsDemo completedAt
          leadDepartment { code nameVi } taskGroup { code } supportingDepartments { code } metrics { code } } }`,
    );
    const seed = seedModel('M03');
    const model = data.pilotModel;
    expect(model).toMatchObject({
      code: 'M03',
      number: 3,
      name: seed.name,
      status: 'IN_PROGRESS',
      deadline: '2024-06-30',
      responsiblePerson: 'Deputy Director, Department of Health',
      basis: 'SOURCE',
      isDemo: false,
      statusIsDemo: true,
      completedAt: null,
      leadDepartment: { code: 'SO_YT', nameVi: 'Sở Y tế' },
      taskGroup: { code: 'TG04' },
    });
    expect(utf8(model.nameVi as string)).toBe(utf8('Khám chữa bệnh bằng CCCD gắn chip / sinh trắc học'));
    expect(model.supportingDepartments.map((department) => department.code)).toEqual([...seed.supportingDepartmentCodes].sort());
    expect(model.metrics.map((metric) => metric.code)).toEqual(['KCB_BIOMETRIC_VISITS', 'KCB_FACILITIES_READY_RATE']);

    const inferred = await dataOf<{ pilotModel: { basis: string; isDemo: boolean } }>(hub, '{ pilotModel(code: "M28") { basis isDemo } }');
    expect(inferred.pilotModel).toEqual({ basis: 'INFERRED', isDemo: true });
  });

  it('department SO_YT with its Vietnamese name and models', async () => {
    const data = await dataOf<{ department: { code: string; name: string; nameVi: string; basis: string; validFrom: string | null; validTo: string | null; successor: null; pilotModels: Array<{ code: string }> } }>(
      hub,
      '{ department(code: "SO_YT") { code name nameVi basis validFrom validTo successor { code } pilotModels { code } } }',
    );
    expect(data.department).toEqual({
      code: 'SO_YT',
      name: 'Department of Health',
      nameVi: 'Sở Y tế',
      basis: 'SOURCE',
      validFrom: null,
      validTo: null,
      successor: null,
      pilotModels: catalogue.pilotModels.filter((model) => model.leadDepartmentCode === 'SO_YT').map((model) => ({ code: model.code })),
    });
    expect(utf8(data.department.nameVi)).toBe(utf8(seedDepartment('SO_YT').nameVi));
  });

  it('department SO_GTVT ended on 2025-03-01 and was succeeded by SO_XD', async () => {
    const data = await dataOf<{ department: Record<string, unknown> }>(
      hub,
      '{ department(code: "SO_GTVT") { code nameVi validFrom validTo successor { code nameVi validFrom validTo successor { code } } } }',
    );
    expect(data.department).toEqual({
      code: 'SO_GTVT',
      nameVi: 'Sở Giao thông vận tải',
      validFrom: null,
      validTo: '2025-03-01',
      successor: { code: 'SO_XD', nameVi: 'Sở Xây dựng', validFrom: '2025-03-01', validTo: null, successor: null },
    });
    expect(seedDepartment('SO_GTVT')).toMatchObject({ validTo: '2025-03-01', successorCode: 'SO_XD' });

    const codesOn = async (asOf: string) =>
      (await dataOf<{ departments: { edges: Array<{ node: { code: string } }> } }>(
        hub,
        'query($asOf: Date) { departments(filter: { asOf: $asOf }, first: 100) { edges { node { code } } } }',
        { asOf },
      )).departments.edges.map((edge) => edge.node.code);
    const existedOn = (asOf: string) =>
      catalogue.departments
        .filter((department) => (!department.validFrom || department.validFrom <= asOf) && (!department.validTo || department.validTo > asOf))
        .map((department) => department.code)
        .sort();
    expect(await codesOn('2025-02-28')).toEqual(existedOn('2025-02-28'));
    expect(await codesOn('2025-02-28')).toContain('SO_GTVT');
    expect(await codesOn('2025-03-01')).toEqual(existedOn('2025-03-01'));
    expect(await codesOn('2025-03-01')).not.toContain('SO_GTVT');
    expect(await codesOn('2025-03-01')).toContain('SO_XD');
  });

  it('metric KCB_BIOMETRIC_VISITS with its definition, target, department and model', async () => {
    const data = await dataOf<{ metric: Record<string, unknown> }>(
      hub,
      '{ metric(code: "KCB_BIOMETRIC_VISITS") { code name nameVi unit kind frequency target targetDate basis isDemo department { code } pilotModel { code } } }',
    );
    const seed = seedMetric('KCB_BIOMETRIC_VISITS');
    expect(data.metric).toMatchObject({
      code: 'KCB_BIOMETRIC_VISITS',
      name: seed.name,
      unit: 'visits',
      kind: 'COUNT',
      frequency: 'DAY',
      target: 2500000,
      targetDate: '2024-12-31',
      department: { code: 'SO_YT' },
      pilotModel: { code: 'M03' },
    });
    expect(utf8(data.metric.nameVi as string)).toBe(utf8(seed.nameVi));
    const noTarget = await dataOf<{ metric: { target: number | null; targetDate: string | null; progress: null } }>(
      hub,
      '{ metric(code: "DRIVE_TEST_ID_MISMATCH") { target targetDate progress { actual } } }',
    );
    expect(noTarget.metric).toEqual({ target: null, targetDate: null, progress: null });
  });

  it('unknown codes are NOT_FOUND with the code in the message', async () => {
    const lookups: Array<[string, string]> = [
      ['program', 'DA99'],
      ['taskGroup', 'TG99'],
      ['task', 'T99.99'],
      ['pilotModel', 'M99'],
      ['department', 'SO_NONE'],
      ['metric', 'NO_SUCH_METRIC'],
      ['administrativeUnit', '00000'],
    ];
    for (const [field, code] of lookups) {
      const response = await hub.graphql<Record<string, unknown>>(`{ ${field}(code: "${code}") { code } }`);
      expect(response.errors).toHaveLength(1);
      expect(response.errors![0].extensions?.code).toBe('NOT_FOUND');
      expect(response.errors![0].message).toContain(`"${code}"`);
      expect(response.errors![0].path).toEqual([field]);
      expect(response.data?.[field] ?? null).toBeNull();
    }
    // Codes are case-sensitive on every database (MySQL collations alone would match "so_yt").
    for (const query of ['{ department(code: "so_yt") { code } }', '{ pilotModel(code: "m03") { code } }', '{ metric(code: "kcb_biometric_visits") { code } }']) {
      expect((await errorOf(hub, query)).extensions?.code).toBe('NOT_FOUND');
    }
    const filtered = await errorOf(hub, '{ pilotModels(filter: { leadDepartment: "so_yt" }) { totalCount } }');
    expect(filtered.extensions?.code).toBe('NOT_FOUND');
    // Codes are whole values, not prefixes.
    const prefix = await errorOf(hub, '{ pilotModel(code: "M0") { code } }');
    expect(prefix.extensions?.code).toBe('NOT_FOUND');
  });
});
