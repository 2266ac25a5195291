import fs from 'node:fs';
import path from 'node:path';
import iconv from 'iconv-lite';
import { ConnectorError } from '../sdk/contract';
import { collect, startTestServer, testContext, type TestServer } from '../sdk/testing';
import { csvConfigSchema, csvConnector, decodeCsvBytes, type CsvConfig } from './csv.connector';

const fixtureBytes = (name: string): Buffer => fs.readFileSync(path.join(__dirname, 'fixtures', name));
const WINDOW = { from: '2024-03-01', to: '2024-03-31' };

/** The accented file in UTF-8: the reference the other encodings must decode to, byte for byte. */
const ACCENTED_EXPECTED = [
  {
    'Mã đơn vị': 'PCC01',
    'Tên đơn vị': 'Phòng Công chứng số 1 tỉnh Nghệ An',
    Ngày: '01/03/2024',
    'Số lượt công chứng': '42',
    'Ghi chú': 'Đã đối soát',
  },
  {
    'Mã đơn vị': 'PCC02',
    'Tên đơn vị': 'Phòng Công chứng số 2 tỉnh Nghệ An',
    Ngày: '01/03/2024',
    'Số lượt công chứng': '17',
    'Ghi chú': 'Chưa cập nhật đủ hồ sơ',
  },
  {
    'Mã đơn vị': 'VPCC_VINH',
    'Tên đơn vị': 'Văn phòng công chứng Vinh',
    Ngày: '01/03/2024',
    'Số lượt công chứng': '25',
    'Ghi chú': 'Trực tuyến qua Cổng dịch vụ công quốc gia',
  },
  {
    'Mã đơn vị': 'VPCC_CUALO',
    'Tên đơn vị': 'Văn phòng công chứng Cửa Lò',
    Ngày: '02/03/2024',
    'Số lượt công chứng': '6',
    'Ghi chú': 'Ủy quyền, thừa kế, hợp đồng mua bán nhà ở',
  },
];

/** UTF-8 bytes of the records, to compare decodings byte for byte. */
const utf8Bytes = (records: unknown): Buffer => Buffer.from(JSON.stringify(records), 'utf8');

function uploaded(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { source: { body: fixtureBytes(name).toString('base64'), bodyEncoding: 'base64' }, ...extra };
}

async function read(config: unknown, context = testContext()) {
  return collect(csvConnector, config, WINDOW, undefined, context);
}

async function readError(config: unknown): Promise<ConnectorError> {
  try {
    await read(config);
  } catch (error) {
    return error as ConnectorError;
  }
  throw new Error('expected read() to fail');
}

function issuePaths(config: unknown): string[] {
  const result = csvConfigSchema.safeParse(config);
  return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
}

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('csv decoding and parsing', () => {
  it('downloads a file: strips the UTF-8 BOM, splits on ";", keeps quoted delimiters and quotes', async () => {
    const bytes = fixtureBytes('cong-chung-utf8-bom.csv');
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    server = await startTestServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv; charset=utf-8' });
      res.end(bytes);
    });
    const result = await read({ source: { url: `${server.url}/export.csv` }, delimiter: ';' });
    expect(Object.keys(result.records[0])).toEqual(['ma_don_vi', 'ten_don_vi', 'ngay', 'so_luot_cong_chung']);
    expect(result.records).toEqual([
      { ma_don_vi: 'PCC01', ten_don_vi: 'Phòng Công chứng số 1 tỉnh Nghệ An', ngay: '2024-03-01', so_luot_cong_chung: '42' },
      { ma_don_vi: 'PCC02', ten_don_vi: 'Phòng Công chứng số 2 tỉnh Nghệ An', ngay: '2024-03-01', so_luot_cong_chung: '17' },
      { ma_don_vi: 'VPCC_VINH', ten_don_vi: 'Văn phòng công chứng Vinh; chi nhánh Hưng Dũng', ngay: '2024-03-01', so_luot_cong_chung: '25' },
      { ma_don_vi: 'VPCC_CUALO', ten_don_vi: 'Văn phòng công chứng "Cửa Lò"', ngay: '2024-03-02', so_luot_cong_chung: '6' },
    ]);
    expect(result.state).toEqual({ lastWindowTo: '2024-03-31' });
    expect(result.batchSizes).toEqual([4]);
  });

  it('reads the accented Vietnamese header and values of the UTF-8 reference', async () => {
    const result = await read(uploaded('cong-chung-co-dau.utf8.csv', { delimiter: ';' }));
    expect(utf8Bytes(result.records).equals(utf8Bytes(ACCENTED_EXPECTED))).toBe(true);
  });

  it('decodes windows-1258 (combining tone marks) to the same text, byte for byte', async () => {
    const bytes = fixtureBytes('cong-chung-co-dau.windows-1258.csv');
    // The file really is windows-1258 with combining tone marks: 'Mã' is 'a' + 0xDE (combining tilde).
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x4d, 0x61, 0xde, 0x20]));
    const result = await read(uploaded('cong-chung-co-dau.windows-1258.csv', { delimiter: ';', encoding: 'windows-1258' }));
    expect(result.records).toEqual(ACCENTED_EXPECTED);
    expect(utf8Bytes(result.records).equals(utf8Bytes(ACCENTED_EXPECTED))).toBe(true);
  });

  it('decodes UTF-16LE with a BOM (Excel "Unicode text", tab-delimited), byte for byte', async () => {
    server = await startTestServer((_req, res) => {
      res.end(fixtureBytes('cong-chung-co-dau.utf16le.txt'));
    });
    const result = await read({ source: { url: `${server.url}/bao-cao.txt` }, delimiter: '\t', encoding: 'utf-16le' });
    expect(utf8Bytes(result.records).equals(utf8Bytes(ACCENTED_EXPECTED))).toBe(true);
  });

  it('a BOM wins over the configured encoding', () => {
    const utf16 = fixtureBytes('cong-chung-co-dau.utf16le.txt');
    expect(decodeCsvBytes(utf16, 'utf-8').startsWith('Mã đơn vị\t')).toBe(true);
    const utf8 = fixtureBytes('cong-chung-utf8-bom.csv');
    expect(decodeCsvBytes(utf8, 'windows-1258').startsWith('ma_don_vi;')).toBe(true);
  });

  it('latin1', () => {
    expect(decodeCsvBytes(iconv.encode('café;crème', 'latin1'), 'latin1')).toBe('café;crème');
  });

  it('refuses bytes that are not UTF-8 when the encoding is utf-8, naming the fix', async () => {
    const error = await readError(uploaded('cong-chung-co-dau.windows-1258.csv', { delimiter: ';' }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('not valid UTF-8');
    expect(error.message).toContain('windows-1258');
  });

  it('renames header columns, including accented ones', async () => {
    const result = await read(
      uploaded('cong-chung-co-dau.utf8.csv', {
        delimiter: ';',
        columns: { 'Mã đơn vị': 'ma_don_vi', Ngày: 'ngay', 'Số lượt công chứng': 'so_luot_cong_chung' },
      }),
    );
    expect(Object.keys(result.records[0])).toEqual(['ma_don_vi', 'Tên đơn vị', 'ngay', 'so_luot_cong_chung', 'Ghi chú']);
    expect(result.records[3]).toMatchObject({ ma_don_vi: 'VPCC_CUALO', ngay: '02/03/2024', so_luot_cong_chung: '6' });
  });

  it('a rename of a column the header lacks is BAD_PAYLOAD listing the header', async () => {
    const error = await readError(uploaded('cong-chung-utf8-bom.csv', { delimiter: ';', columns: { so_luot: 'value' } }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('columns renames "so_luot"');
    expect(error.message).toContain('ma_don_vi, ten_don_vi, ngay, so_luot_cong_chung');
  });

  it('an uploaded text body, with skipRows for the title lines; blank and empty rows are skipped', async () => {
    const text = fixtureBytes('bao-cao-co-tieu-de.csv').toString('utf8');
    const result = await read({ source: { body: text, bodyEncoding: 'text' }, skipRows: 2 });
    expect(result.records).toEqual([
      { ma_don_vi: 'PCC01', ngay: '2024-03-01', so_luot_cong_chung: '42' },
      { ma_don_vi: 'PCC02', ngay: '2024-03-01', so_luot_cong_chung: '17' },
      { ma_don_vi: 'VPCC_VINH', ngay: '2024-03-01', so_luot_cong_chung: '25' },
    ]);
  });

  it('no header: the columns list names the fields; "|" delimiter', async () => {
    const result = await read(uploaded('khong-tieu-de.psv', { delimiter: '|', hasHeader: false, columns: ['don_vi', 'ngay', 'so_luot'] }));
    expect(result.records).toEqual([
      { don_vi: 'PCC01', ngay: '2024-03-01', so_luot: '42' },
      { don_vi: 'PCC02', ngay: '2024-03-01', so_luot: '17' },
    ]);
    const error = await readError(uploaded('khong-tieu-de.psv', { delimiter: '|', hasHeader: false, columns: ['a', 'b'] }));
    expect(error.message).toBe('malformed CSV at line 1: the rows have 3 columns but columns lists 2 names');
  });

  it('an unclosed quote is BAD_PAYLOAD with the line where it opened', async () => {
    const error = await readError(uploaded('malformed-unclosed-quote.csv', { delimiter: ';' }));
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toBe('malformed CSV at line 3: a quoted field opened on this line is never closed');
  });

  it('a row with too few or too many columns is BAD_PAYLOAD with its line', async () => {
    const error = await readError(uploaded('malformed-column-count.csv', { delimiter: ';' }));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toBe('malformed CSV at line 4: expected 3 columns like the first row, found 2');

    const tooMany = await readError({ source: { body: 'a,b\n1,2\n3,4,5\n', bodyEncoding: 'text' } });
    expect(tooMany.message).toBe('malformed CSV at line 3: expected 2 columns like the first row, found 3');
  });

  it('a file that parsed with the wrong delimiter shows up as one column, not an error', async () => {
    const result = await read(uploaded('cong-chung-utf8-bom.csv'));
    // No ',' in the file: every line is one column (the quoted ';' fields stay quoted in it).
    expect(Object.keys(result.records[0])).toEqual(['ma_don_vi;ten_don_vi;ngay;so_luot_cong_chung']);
  });

  it('an empty file has no header row', async () => {
    const error = await readError({ source: { body: '', bodyEncoding: 'text' } });
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toContain('no header row');
  });

  it('duplicate header names are BAD_PAYLOAD; empty header cells get a name', async () => {
    const duplicate = await readError({ source: { body: 'ngay,ngay\n1,2\n', bodyEncoding: 'text' } });
    expect(duplicate.message).toContain('names "ngay" twice (columns 1 and 2)');
    const trailing = await read({ source: { body: 'a;b;\n1;2;\n', bodyEncoding: 'text' }, delimiter: ';' });
    expect(trailing.records).toEqual([{ a: '1', b: '2', column3: '' }]);
  });

  it('yields batches of 5,000 records, the state on the last one', async () => {
    const lines = ['ma_don_vi,ngay,so_luot_cong_chung'];
    for (let i = 0; i < 12_345; i++) lines.push(`DV${i},2024-03-01,${i}`);
    server = await startTestServer((_req, res) => {
      res.end(lines.join('\n'));
    });
    const config = csvConfigSchema.parse({ source: { url: server.url } });
    const batches: { size: number; state: unknown }[] = [];
    for await (const batch of csvConnector.read(config, WINDOW, undefined, testContext())) {
      batches.push({ size: batch.records.length, state: batch.state });
    }
    expect(batches).toEqual([
      { size: 5000, state: undefined },
      { size: 5000, state: undefined },
      { size: 2345, state: { lastWindowTo: '2024-03-31' } },
    ]);
  });

  it('a header-only file yields one empty batch with the state', async () => {
    const result = await read({ source: { body: 'a,b\n', bodyEncoding: 'text' } });
    expect(result.batchSizes).toEqual([0]);
    expect(result.state).toEqual({ lastWindowTo: '2024-03-31' });
  });
});

describe('csv download requests', () => {
  it('fills {{from}}/{{to}} in the query and secrets in headers', async () => {
    server = await startTestServer((_req, res) => {
      res.end('ma_don_vi,ngay\nPCC01,2024-03-01\n');
    });
    const config = {
      source: {
        url: `${server.url}/xuat-bao-cao`,
        headers: { Authorization: 'Basic {{secret:password}}' },
        query: { tungay: '{{from}}', denngay: '{{to}}', dinhdang: 'csv' },
        dateFormat: 'DD/MM/YYYY',
      },
    };
    await read(config, testContext({ secrets: { password: 'dXNlcjpwYXNz' } }));
    const sent = server.requests[0];
    expect(sent.url).toBe('/xuat-bao-cao?tungay=01%2F03%2F2024&denngay=31%2F03%2F2024&dinhdang=csv');
    expect(sent.headers.authorization).toBe('Basic dXNlcjpwYXNz');
  });

  it('a 404 is CONFIG', async () => {
    server = await startTestServer((_req, res) => {
      res.writeHead(404);
      res.end('Không tìm thấy');
    });
    const error = await readError({ source: { url: `${server.url}/missing.csv` } });
    expect(error.errorClass).toBe('CONFIG');
    expect(error.message).toContain('HTTP 404');
  });
});

describe('csv configuration', () => {
  it('fills the defaults', () => {
    expect(csvConfigSchema.parse({ source: { url: 'https://so-tu-phap.nghean.gov.vn/x.csv' } })).toEqual({
      source: { url: 'https://so-tu-phap.nghean.gov.vn/x.csv', dateFormat: 'YYYY-MM-DD' },
      delimiter: ',',
      encoding: 'utf-8',
      hasHeader: true,
      skipRows: 0,
    } satisfies CsvConfig);
    expect(csvConfigSchema.parse({ source: { body: 'a\n1' } }).source).toEqual({ body: 'a\n1', bodyEncoding: 'text' });
  });

  it('names the field of each error', () => {
    expect(issuePaths({})).toEqual(['source']);
    expect(issuePaths({ source: {} })).toEqual(['source']);
    expect(issuePaths({ source: { url: 'http://x.vn', body: 'a' } })).toEqual(['source']);
    expect(issuePaths({ source: { url: 'ftp://x.vn/a.csv' } })).toEqual(['source.url']);
    expect(issuePaths({ source: { body: 'a', query: { a: '1' } } })).toEqual(['source.query']);
    expect(issuePaths({ source: { url: 'http://x.vn', bodyEncoding: 'text' } })).toEqual(['source.bodyEncoding']);
    expect(issuePaths({ source: { body: 'not base64!', bodyEncoding: 'base64' } })).toEqual(['source.body']);
    expect(issuePaths({ source: { url: 'http://x.vn', headers: { 'X-Key': '{{secret:pin}}' } } })).toEqual(['source.headers.X-Key']);
    expect(issuePaths({ source: { url: 'http://x.vn', query: { d: '{{ngay}}' } } })).toEqual(['source.query.d']);
    expect(issuePaths({ source: { body: 'a' }, delimiter: ':' })).toEqual(['delimiter']);
    expect(issuePaths({ source: { body: 'a' }, encoding: 'utf-16be' })).toEqual(['encoding']);
    expect(issuePaths({ source: { body: 'a' }, skipRows: -1 })).toEqual(['skipRows']);
    expect(issuePaths({ source: { body: 'a' }, hasHeader: false })).toEqual(['columns']);
    expect(issuePaths({ source: { body: 'a' }, columns: ['a', 'b'] })).toEqual(['columns']);
    expect(issuePaths({ source: { body: 'a' }, hasHeader: false, columns: ['a', 'a'] })).toEqual(['columns.1']);
    expect(issuePaths({ source: { body: 'a' }, columns: { x: 'v', y: 'v' } })).toEqual(['columns.y']);
    expect(issuePaths({ source: { body: 'a' }, columns: { x: ' ' } })).toEqual(['columns.x']);
    expect(issuePaths({ source: { body: 'a' }, quote: "'" })).toEqual(['']);
  });
});

describe('csv check and discover', () => {
  it('check reports rows and columns', async () => {
    const config = csvConfigSchema.parse(uploaded('cong-chung-utf8-bom.csv', { delimiter: ';' }));
    expect(await csvConnector.check(config, testContext())).toEqual({
      ok: true,
      message: 'the uploaded file: 4 rows with 4 columns (ma_don_vi, ten_don_vi, ngay, so_luot_cong_chung)',
    });
  });

  it('check reports a malformed file or an unreachable source without throwing', async () => {
    const malformed = csvConfigSchema.parse(uploaded('malformed-unclosed-quote.csv', { delimiter: ';' }));
    const bad = await csvConnector.check(malformed, testContext());
    expect(bad).toEqual({
      ok: false,
      message: 'the uploaded file failed: BAD_PAYLOAD: malformed CSV at line 3: a quoted field opened on this line is never closed',
    });

    const gone = await startTestServer((_req, res) => {
      res.end();
    });
    await gone.close();
    const unreachable = await csvConnector.check(
      csvConfigSchema.parse({ source: { url: `${gone.url}/a.csv` } }),
      testContext({ httpOptions: { retries: 0 } }),
    );
    expect(unreachable.ok).toBe(false);
    expect(unreachable.message).toContain('SOURCE_UNAVAILABLE');
  });

  it('discover returns the field names and three sample records', async () => {
    const config = csvConfigSchema.parse(
      uploaded('cong-chung-co-dau.windows-1258.csv', {
        delimiter: ';',
        encoding: 'windows-1258',
        columns: { 'Mã đơn vị': 'ma_don_vi', 'Số lượt công chứng': 'so_luot_cong_chung' },
      }),
    );
    const [stream] = await csvConnector.discover(config, testContext());
    expect(stream.name).toBe('rows');
    expect(stream.fields).toEqual(['ma_don_vi', 'Tên đơn vị', 'Ngày', 'so_luot_cong_chung', 'Ghi chú']);
    expect(stream.sample).toHaveLength(3);
    expect(stream.sample[1]).toMatchObject({ ma_don_vi: 'PCC02', 'Ghi chú': 'Chưa cập nhật đủ hồ sơ' });
  });

  it('exposes the kind and its secret names', () => {
    expect(csvConnector.kind).toBe('csv');
    expect(csvConnector.secretNames).toEqual(['token', 'password', 'apiKey']);
  });
});
