import path from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { Department } from '../../src/modules/departments/department.entity';
import { Metric } from '../../src/modules/metrics/metric.entity';
import { PilotModel } from '../../src/modules/catalogue/pilot-model.entity';
import { Program } from '../../src/modules/catalogue/program.entity';
import { TaskGroup } from '../../src/modules/catalogue/task-group.entity';
import { Task } from '../../src/modules/catalogue/task.entity';
import { Role } from '../../src/security/principal';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const SHEETS = ['Departments', 'Programmes', 'TaskGroups', 'Tasks', 'PilotModels', 'Metrics'];

/** A worksheet's rows as text cells, as a CSV reader sees them (empty cells as ''). */
function textRows(sheet: ExcelJS.Worksheet): string[][] {
  const width = sheet.getRow(1).cellCount;
  const rows: string[][] = [];
  sheet.eachRow((row) => {
    const values = (row.values as unknown[]).slice(1);
    rows.push(Array.from({ length: width }, (_, index) => (values[index] === null || values[index] === undefined ? '' : String(values[index]))));
  });
  return rows;
}

describe('catalogue spreadsheet export', () => {
  let hub: TestHub;
  const get = (query: string, headers: Record<string, string> = hub.headers) => fetch(new URL(`/catalogue/export${query}`, hub.hub.url), { headers });

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('gives a workbook of six sheets, one row per item, Vietnamese headings with English names, the same as each CSV', async () => {
    const answer = await get('?format=xlsx');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('spreadsheetml');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await answer.arrayBuffer()) as unknown as ExcelJS.Buffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(SHEETS);
    const counts = await Promise.all([Department, Program, TaskGroup, Task, PilotModel, Metric].map((entity) => hub.dataSource.getRepository(entity).count()));
    expect(workbook.worksheets.map((sheet) => sheet.rowCount - 1)).toEqual(counts);
    const tasks = workbook.getWorksheet('Tasks')!;
    expect((tasks.getRow(1).values as unknown[]).slice(1, 4)).toEqual(['Mã (code)', 'Nhóm nhiệm vụ (task_group)', 'Năm kế hoạch (plan_year)']);
    for (const name of SHEETS) {
      const csvAnswer = await get(`?format=csv&sheet=${name}`);
      expect(csvAnswer.status).toBe(200);
      const csv = parse((await csvAnswer.text()).replace(/^\ufeff/, '')) as string[][];
      expect({ name, rows: textRows(workbook.getWorksheet(name)!) }).toEqual({ name, rows: csv });
    }
    // Codes stand for the ids: a task names its group and lead department; a model its supporting departments.
    const t0401 = textRows(tasks).find((row) => row[0] === 'T04.01')!;
    expect([t0401[1], t0401[2], t0401[5], t0401[7]]).toEqual(['TG04', '2024', 'SO_YT', '2024-03-31']);
    expect(tasks.getRow(textRows(tasks).findIndex((row) => row[0] === 'T04.01') + 1).getCell(12).value).toBe(520);
    // Departments with their validity and successor (a merged department names the one that took its work).
    const departments = textRows(workbook.getWorksheet('Departments')!);
    expect(departments[0]).toEqual(['Mã (code)', 'Tên (name_vi)', 'Tên tiếng Anh (name)', 'Có từ ngày (valid_from)', 'Thôi hoạt động từ ngày (valid_to)', 'Đơn vị kế thừa (successor)', 'Căn cứ (basis)']);
    expect(departments.find((row) => row[0] === 'SO_GTVT')).toEqual(['SO_GTVT', 'Sở Giao thông vận tải', 'Department of Transport', '', '2025-03-01', 'SO_XD', 'INFERRED']);
  });

  it('is readable by every role and refuses bad parameters naming them', async () => {
    expect((await get('?format=xlsx', await keyHeaders(hub, Role.VIEWER))).status).toBe(200);
    expect((await get('?format=csv&sheet=Metrics', await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']))).status).toBe(200);
    expect((await get('', { authorization: '' })).status).toBe(401);
    for (const [query, field] of [['?format=pdf', 'format'], ['?format=csv', 'sheet'], ['?format=csv&sheet=Units', 'sheet'], ['?format=xlsx&sheet=Tasks', 'sheet'], ['?lang=vi', 'lang']]) {
      const answer = await get(query);
      const body = (await answer.json()) as { errors: Array<{ extensions: { code: string; field: string } }> };
      expect({ query, status: answer.status, code: body.errors[0].extensions.code, field: body.errors[0].extensions.field }).toEqual({ query, status: 400, code: 'BAD_USER_INPUT', field });
    }
  });

  it('the sample in docs/ is the export of the seeded catalogue: same sheets, headings and codes', async () => {
    const sample = new ExcelJS.Workbook();
    await sample.xlsx.readFile(path.join(__dirname, '..', '..', 'docs', 'catalogue-sample.xlsx'));
    const current = new ExcelJS.Workbook();
    await current.xlsx.load(Buffer.from(await (await get('')).arrayBuffer()) as unknown as ExcelJS.Buffer);
    for (const name of SHEETS) {
      const codes = (workbook: ExcelJS.Workbook) => textRows(workbook.getWorksheet(name)!).map((row, index) => (index === 0 ? row.join('|') : row[0]));
      expect({ name, rows: codes(sample) }).toEqual({ name, rows: codes(current) });
    }
  });
});
