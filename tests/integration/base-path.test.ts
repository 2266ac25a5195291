/**
 * Behind a reverse proxy under PUBLIC_BASE_PATH, every path the API hands out (the report and evaluation download
 * links) is under that prefix, and answers there. The schema's link fields are listed here, so a new one is checked
 * too. Both databases.
 */
import { dataOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const PREFIX = '/so/hub';

/** Every field of the schema that hands out a path (its name ends in Url), as Type.field. */
const LINK_FIELDS = ['Evaluation.csvUrl', 'Evaluation.markdownUrl', 'Evaluation.xlsxUrl', 'ProgressReport.csvUrl', 'ProgressReport.markdownUrl'];

describe('PUBLIC_BASE_PATH in the paths the API hands out', () => {
  let hub: TestHub;
  let origin: string;

  beforeAll(async () => {
    hub = await startTestHub({ environment: { ...QUIET_BACKGROUND, PUBLIC_BASE_PATH: `${PREFIX}/` } });
    origin = new URL(hub.hub.url).origin;
  });
  afterAll(async () => {
    await hub.close();
  });

  /** GraphQL through the prefix, as a browser behind the proxy sends it. */
  const query = async <T>(text: string): Promise<T> => {
    const response = await fetch(`${origin}${PREFIX}/graphql`, { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/json' }, body: JSON.stringify({ query: text }) });
    const body = (await response.json()) as { data?: T; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    return body.data!;
  };
  const get = (path: string) => fetch(`${origin}${path}`, { headers: { ...hub.headers } });

  it('lists every link field of the schema here', async () => {
    const { __schema } = await dataOf<{ __schema: { types: Array<{ name: string; fields: Array<{ name: string }> | null }> } }>(hub, '{ __schema { types { name fields { name } } } }');
    const links = __schema.types.flatMap((type) => (type.name.startsWith('__') ? [] : (type.fields ?? []).filter((field) => /Url$/.test(field.name)).map((field) => `${type.name}.${field.name}`)));
    expect(links.sort()).toEqual(LINK_FIELDS);
  });

  it('hands out the progress report\'s and the evaluation\'s downloads under the prefix, where they answer', async () => {
    const { progressReport: report, evaluation } = await query<{
      progressReport: { csvUrl: string; markdownUrl: string; englishMarkdown: string };
      evaluation: { csvUrl: string; markdownUrl: string; xlsxUrl: string };
    }>('{ progressReport(period: "2024-Q1", asOf: "2024-04-02") { csvUrl markdownUrl englishMarkdown: markdownUrl(lang: en) } evaluation(year: 2024) { csvUrl markdownUrl xlsxUrl } }');
    expect(report).toEqual({
      csvUrl: `${PREFIX}/reports/progress.csv?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=vi`,
      markdownUrl: `${PREFIX}/reports/progress.md?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=vi`,
      englishMarkdown: `${PREFIX}/reports/progress.md?period=2024-Q1&asOf=2024-04-02&program=DA06&lang=en`,
    });
    expect(Object.values(evaluation).every((link) => link.startsWith(`${PREFIX}/reports/evaluation?year=2024&`))).toBe(true);

    const answers = await Promise.all([report.csvUrl, report.markdownUrl, report.englishMarkdown, evaluation.csvUrl, evaluation.markdownUrl, evaluation.xlsxUrl].map(get));
    expect(answers.map((answer) => [answer.status, answer.headers.get('content-type')?.split(';')[0]])).toEqual([
      [200, 'text/csv'],
      [200, 'text/markdown'],
      [200, 'text/markdown'],
      [200, 'text/csv'],
      [200, 'text/markdown'],
      [200, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ]);
    const [, vietnamese, english] = await Promise.all(answers.slice(0, 3).map((answer) => answer.text()));
    expect([vietnamese, english].map((text) => /^## (Quá hạn|Overdue) /m.exec(text)?.[1])).toEqual(['Quá hạn', 'Overdue']);
  });
});
