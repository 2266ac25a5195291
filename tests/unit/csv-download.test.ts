import { parse } from 'csv-parse/sync';
import { csvCell, csvCellText, toCsv } from '../../src/http/csv-download';

describe('CSV cells', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['=HYPERLINK("http://evil.example/?q=1","Bấm vào đây")', '\'=HYPERLINK("http://evil.example/?q=1","Bấm vào đây")'],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['-12.5', "'-12.5"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1+2', "'\t=1+2"],
    ['\r=1+2', "'\r=1+2"],
    ['\n=1+2', "'\n=1+2"],
    ['  =1+2', "'  =1+2"],
    ['\u00a0=1+2', "'\u00a0=1+2"],
    ['＝1+2', "'＝1+2"],
    ['＋1', "'＋1"],
    ['Sở Y tế', 'Sở Y tế'],
    ['Giám đốc - Sở Y tế', 'Giám đốc - Sở Y tế'],
    ['2024-03-31', '2024-03-31'],
    ["'=1+2", "''=1+2"],
    ["''@x", "'''@x"],
    ["'Sở Y tế", "'Sở Y tế"],
    ['', ''],
  ])('neutralises text %j as %j', (text, written) => {
    expect(csvCell(text)).toBe(written);
    // Read back (the catalogue import), the cell is the text again.
    expect(csvCellText(written as string)).toBe(text);
  });

  it('reading takes off only a quote the writer could have added', () => {
    expect(csvCellText("'Sở Y tế")).toBe("'Sở Y tế");
    expect(csvCellText("'")).toBe("'");
    expect(csvCellText("'-5 hộ")).toBe('-5 hộ');
  });

  it('keeps numbers numeric, negative ones included, and missing values empty', () => {
    expect(csvCell(-12.5)).toBe(-12.5);
    expect(csvCell(0)).toBe(0);
    expect(csvCell(true)).toBe(true);
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    const text = toCsv(['name', 'value'], [['=1+2', -12.5], ['-3', 4], [null, -0.25]]);
    expect(text.startsWith('\ufeffname,value\r\n')).toBe(true);
    expect(parse(text, { bom: true, columns: true })).toEqual([
      { name: "'=1+2", value: '-12.5' },
      { name: "'-3", value: '4' },
      { name: '', value: '-0.25' },
    ]);
  });

  it('neutralises the header too', () => {
    expect(toCsv(['=cmd'], [])).toBe("\ufeff'=cmd\r\n");
  });
});
