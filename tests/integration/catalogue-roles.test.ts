/**
 * The newest catalogue writes called by keys that may not make them: a department's IT key, an analyst, a viewer.
 * Every call is FORBIDDEN (403 on REST), writes nothing and leaves a DENIED audit record.
 */
import ExcelJS from 'exceljs';
import { Role } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const TABLES = ['department', 'department_reorganization', 'department_succession', 'task_group', 'task', 'pilot_model', 'pilot_model_change', 'task_change', 'metric'];

describe('catalogue writes by keys that may not make them', () => {
  let hub: TestHub;
  let file: string;

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
    const book = new ExcelJS.Workbook();
    book.addWorksheet('TaskGroups').addRows([['code', 'program', 'plan_year', 'name', 'lead_department'], ['TG26.80', 'DA06', 2026, 'Plan 2026', 'SO_YT']]);
    file = Buffer.from(await book.xlsx.writeBuffer()).toString('base64');
  });
  afterAll(async () => {
    await hub?.close();
  });

  const state = () => rowCounts(hub.dataSource, TABLES);

  it.each([
    ['DEPARTMENT_IT of SO_YT', Role.DEPARTMENT_IT, ['SO_YT']],
    ['ANALYST', Role.ANALYST, []],
    ['VIEWER', Role.VIEWER, []],
  ])('%s: every new catalogue write is FORBIDDEN, nothing written, each refusal audited', async (_name, role, departments) => {
    const headers = await keyHeaders(hub, role as Role, departments as string[]);
    const before = await state();
    const [{ last }] = await hub.dataSource.query('SELECT COALESCE(MAX(id), 0) AS last FROM audit_event');
    const calls: Array<[string, string, Record<string, unknown>]> = [
      ['importCatalogue', 'mutation ($file: String!) { importCatalogue(file: $file, apply: true) { applied } }', { file }],
      ['createDepartment', 'mutation { createDepartment(input: { code: "SO_X", name: "X", nameVi: "X", note: "n" }) { code } }', {}],
      ['mergeDepartments', 'mutation { mergeDepartments(input: { departments: ["SO_YT"], into: "SO_XD", effectiveDate: "2025-03-01", note: "n" }) { successors { code } } }', {}],
      ['splitDepartment', 'mutation { splitDepartment(input: { department: "SO_YT", effectiveDate: "2025-03-01", note: "n", parts: [{ into: "SO_XD" }, { into: "SO_NV" }] }) { successors { code } } }', {}],
      ['updatePilotModel', 'mutation { updatePilotModel(code: "M03", input: { taskGroup: "TG01", supportingDepartments: ["SO_TP"] }) { code } }', {}],
    ];
    for (const [field, query, variables] of calls) {
      const answer = await hub.graphql(query, variables, headers);
      expect({ field, data: answer.data?.[field] ?? null, codes: answer.errors?.map((error) => error.extensions?.code) }).toEqual({ field, data: null, codes: ['FORBIDDEN'] });
    }
    const rest = await fetch(new URL('/catalogue/import?apply=true', hub.hub.url), {
      method: 'POST', headers: { ...headers, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, body: Buffer.from(file, 'base64'),
    });
    expect(rest.status).toBe(403);
    expect(await state()).toEqual(before);
    const audited = await hub.dataSource.query('SELECT action, outcome FROM audit_event WHERE id > ? ORDER BY id', [last]);
    expect(audited.filter((event: { outcome: string }) => event.outcome !== 'DENIED')).toEqual([]);
    expect(audited.length).toBe(calls.length + 1);
  });
});
