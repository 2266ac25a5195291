/** The commands of `pilothub` (see docs/cli.md), on commander. */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { applyPlan, plan, type Change, type PlanEntry } from './apply';
import { HubClient } from './client';
import { CliError } from './errors';
import { fields, formatDay, formatDuration, formatNumber, formatTime, output, printJson, table, type OutputFormat } from './format';
import { findConnector, listConnectors, type HubConnector } from './hub-connectors';
import { API_VERSION, readManifests } from './manifests';
import { baseUrl, configPath, readConfig, resolveConnection, writeConfig } from './profiles';
import { progressFor } from './progress';
import { chunksOf, pushChunks } from './push';

interface Global {
  profile?: string;
}

const outputOption = () => new Option('-o, --output <format>', 'table (người đọc / for people) hoặc json (ổn định cho script / stable for scripts)').choices(['table', 'json']).default('table');

function clientOf(command: Command): HubClient {
  return new HubClient(resolveConnection((command.optsWithGlobals() as Global).profile));
}

const show = (value: unknown): string => (value === undefined ? '∅' : typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value));

const ACTION_WORDS: Record<string, string> = { created: 'tạo mới / created', updated: 'cập nhật / updated', unchanged: 'không đổi / unchanged' };
const ACTION_SIGNS: Record<string, string> = { created: '+', updated: '~', unchanged: '=' };

function changeLine(change: Change): string {
  if (change.from === undefined) return `      + ${change.field}: ${show(change.to)}`;
  if (change.to === undefined) return `      - ${change.field}: ${show(change.from)}`;
  return `      ~ ${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

function planText(entries: readonly PlanEntry[], heading: string): string {
  const lines = [heading];
  for (const entry of entries) {
    const { manifest } = entry;
    lines.push(`  ${ACTION_SIGNS[entry.action]} ${manifest.department} / ${manifest.name}  (${manifest.spec.kind}) — ${ACTION_WORDS[entry.action]}   [${manifest.file}:${manifest.line}]`);
    if (entry.action === 'created') {
      lines.push(`      + spec.schedule: ${show(entry.definition.schedule)}, timeZone: ${show(entry.definition.timeZone)}, lookbackDays: ${entry.definition.lookbackDays}`);
      for (const name of entry.secretsToSend) lines.push(`      + spec.secrets.${name}: (đặt / set)`);
    }
    for (const change of entry.changes) lines.push(changeLine(change));
  }
  const count = (action: string) => entries.filter((entry) => entry.action === action).length;
  lines.push(`Tạo mới / created: ${count('created')}, cập nhật / updated: ${count('updated')}, không đổi / unchanged: ${count('unchanged')}`);
  return `${lines.join('\n')}\n`;
}

function planJson(entries: readonly PlanEntry[], ids?: ReadonlyMap<PlanEntry, string>): unknown {
  return entries.map((entry) => ({
    name: entry.manifest.name,
    department: entry.manifest.department,
    kind: entry.manifest.spec.kind,
    file: entry.manifest.file,
    line: entry.manifest.line,
    action: entry.action,
    changes: entry.changes.map((change) => ({ field: change.field, ...(change.from !== undefined ? { from: change.from } : {}), ...(change.to !== undefined ? { to: change.to } : {}) })),
    ...(ids ? { id: ids.get(entry) ?? null } : {}),
  }));
}

/** Environment variable a secret of an exported connector is read from: SO_YT_HEALTH_VISITS_TOKEN. */
function secretVariable(connector: HubConnector, secret: string): string {
  const slug = `${connector.department.code}_${connector.name}_${secret}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return /^[A-Z_]/.test(slug) ? slug : `_${slug}`;
}

export function manifestOf(connector: HubConnector): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind: 'Connector',
    metadata: { name: connector.name, department: connector.department.code },
    spec: {
      kind: connector.kind,
      ...(connector.schedule ? { schedule: connector.schedule } : {}),
      timeZone: connector.timeZone,
      lookbackDays: connector.lookbackDays,
      ...(connector.maxWindowDays != null ? { maxWindowDays: connector.maxWindowDays } : {}),
      config: connector.config,
      mapping: connector.mapping,
      ...(connector.secretNames.length > 0 ? { secrets: Object.fromEntries(connector.secretNames.map((name) => [name, { fromEnv: secretVariable(connector, name) }])) } : {}),
    },
  };
}

const RUN_FIELDS = 'id databaseId trigger status attempts startedAt finishedAt windowFrom windowTo errorClass errorMessage durationMs mappingVersion summary { fetched imported updated unchanged rejected }';

interface Run {
  id: string;
  databaseId: number;
  trigger: string;
  status: string;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  mappingVersion: number | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
}

const STATUS_WORDS: Record<string, string> = {
  RUNNING: 'đang chạy / RUNNING',
  SUCCEEDED: 'thành công / SUCCEEDED',
  PARTIAL: 'có dòng bị từ chối / PARTIAL',
  FAILED: 'thất bại / FAILED',
  INTERRUPTED: 'bị ngắt / INTERRUPTED',
};

function runJson(run: Run): unknown {
  return {
    id: run.id,
    databaseId: run.databaseId,
    trigger: run.trigger,
    status: run.status,
    attempts: run.attempts,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    windowFrom: run.windowFrom,
    windowTo: run.windowTo,
    durationMs: run.durationMs,
    mappingVersion: run.mappingVersion,
    summary: run.summary,
    errorClass: run.errorClass,
    errorMessage: run.errorMessage,
  };
}

function runSummaryText(connector: HubConnector, run: Run): string {
  const { summary } = run;
  return fields([
    ['Bộ kết nối / Connector', `${connector.department.code} / ${connector.name}`],
    ['Lần chạy / Run', `${run.databaseId} (${run.trigger})`],
    ['Trạng thái / Status', STATUS_WORDS[run.status] ?? run.status],
    ['Khoảng dữ liệu / Window', `${formatDay(run.windowFrom)} – ${formatDay(run.windowTo)}`],
    ['Dòng đọc / Fetched', formatNumber(summary.fetched)],
    ['Nhập mới / Imported', formatNumber(summary.imported)],
    ['Cập nhật / Updated', formatNumber(summary.updated)],
    ['Không đổi / Unchanged', formatNumber(summary.unchanged)],
    ['Bị từ chối / Rejected', formatNumber(summary.rejected)],
    ['Thời gian / Duration', formatDuration(run.durationMs)],
    ...(run.errorClass ? ([['Lỗi / Error', `${run.errorClass}: ${run.errorMessage ?? ''}`]] as Array<[string, string]>) : []),
  ]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function connectorRows(connectors: readonly HubConnector[]): string[][] {
  return connectors.map((connector) => [
    String(connector.databaseId),
    connector.name,
    connector.department.code,
    connector.kind,
    connector.enabled ? 'bật / on' : 'tắt / off',
    connector.schedule ?? '—',
    connector.health.status,
    formatTime(connector.health.lastRunAt),
  ]);
}

function connectorJson(connector: HubConnector): unknown {
  return {
    id: connector.id,
    databaseId: connector.databaseId,
    name: connector.name,
    department: connector.department.code,
    kind: connector.kind,
    enabled: connector.enabled,
    schedule: connector.schedule,
    timeZone: connector.timeZone,
    lookbackDays: connector.lookbackDays,
    maxWindowDays: connector.maxWindowDays,
    config: connector.config,
    mapping: connector.mapping,
    mappingVersion: connector.mappingVersion,
    version: connector.version,
    secretNames: connector.secretNames,
    createdAt: connector.createdAt,
    updatedAt: connector.updatedAt,
    health: connector.health,
  };
}

export function buildProgram(): Command {
  const program = new Command('pilothub')
    .description('PilotHub từ dòng lệnh: bộ kết nối dưới dạng mã, chạy, đẩy dữ liệu, xuất — PilotHub from the command line: connectors as code, runs, pushes, exports')
    .option('-p, --profile <name>', 'hồ sơ trong tệp cấu hình / profile of the config file (default: PILOTHUB_URL/PILOTHUB_KEY, else the current profile)')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  program
    .command('login')
    .description('Lưu URL và khoá API vào một hồ sơ (tệp 0600) — store a hub URL and API key in a profile (file mode 0600)')
    .requiredOption('--url <url>', 'URL gốc của hub / the hub base URL, e.g. http://localhost:4000')
    .option('--key <key>', 'khoá API; mặc định đọc từ stdin / the API key; default: read from standard input')
    .option('--name <profile>', 'tên hồ sơ / profile name', 'default')
    .addOption(outputOption())
    .action(async (options: { url: string; key?: string; name: string; output: OutputFormat }) => {
      const url = baseUrl(options.url);
      const key = (options.key ?? (await readStdin())).trim();
      if (!key) throw new CliError('Cần một khoá API (--key hoặc stdin) — an API key is needed (--key or standard input)');
      const client = new HubClient({ url, key, source: `profile ${options.name}` });
      const { viewer } = await client.graphql<{ viewer: { name: string; role: string } }>('{ viewer { name role } }');
      const file = configPath();
      const config = readConfig(file);
      config.profiles[options.name] = { url, key };
      config.current = options.name;
      writeConfig(config, file);
      output(options.output, { profile: options.name, url, name: viewer.name, role: viewer.role, file }, () =>
        `Đã lưu hồ sơ "${options.name}" (${viewer.name}, ${viewer.role}) vào ${file} — saved profile "${options.name}" to ${file}\n`,
      );
    });

  program
    .command('schema')
    .description('In JSON Schema của manifest (từ hub) cho trình soạn thảo — print the manifest JSON Schema (from the hub) for editors')
    .option('-f, --file <path>', 'ghi vào tệp / write it to a file')
    .action(async (options: { file?: string }, command: Command) => {
      const client = clientOf(command);
      const schema = await client.json<unknown>('/schemas/connector-manifest.json');
      const text = `${JSON.stringify(schema, null, 2)}\n`;
      if (options.file) fs.writeFileSync(options.file, text);
      else process.stdout.write(text);
    });

  const connectors = program.command('connectors').description('Bộ kết nối / connectors');

  connectors
    .command('list')
    .description('Liệt kê bộ kết nối / list connectors')
    .option('-d, --department <code>', 'chỉ của sở ngành này / of this department only')
    .addOption(outputOption())
    .action(async (options: { department?: string; output: OutputFormat }, command: Command) => {
      const list = await listConnectors(clientOf(command), options.department);
      output(options.output, list.map(connectorJson), () =>
        table(['Mã / Id', 'Tên / Name', 'Sở / Department', 'Loại / Kind', 'Bật / Enabled', 'Lịch / Schedule', 'Tình trạng / Health', 'Chạy lần cuối / Last run'], connectorRows(list)),
      );
    });

  connectors
    .command('describe <name>')
    .description('Chi tiết một bộ kết nối / one connector in detail')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; output: OutputFormat }, command: Command) => {
      const connector = await findConnector(clientOf(command), name, options.department);
      output(options.output, connectorJson(connector), () =>
        fields([
          ['Mã / Id', `${connector.databaseId} (${connector.id})`],
          ['Tên / Name', connector.name],
          ['Sở / Department', connector.department.code],
          ['Loại / Kind', connector.kind],
          ['Bật / Enabled', connector.enabled ? 'có / yes' : 'không / no'],
          ['Lịch / Schedule', `${connector.schedule ?? '—'} (${connector.timeZone})`],
          ['Đọc lại / Lookback', `${formatNumber(connector.lookbackDays)} ngày / days`],
          ['Cửa sổ tối đa / Max window', connector.maxWindowDays == null ? '—' : `${formatNumber(connector.maxWindowDays)} ngày / days`],
          ['Phiên bản / Version', `${connector.version} (ánh xạ / mapping ${connector.mappingVersion})`],
          ['Bí mật / Secrets', connector.secretNames.join(', ') || '—'],
          ['Tình trạng / Health', `${connector.health.status}${connector.health.lastError ? ` — ${connector.health.lastError}` : ''}`],
          ['Chạy lần cuối / Last run', formatTime(connector.health.lastRunAt)],
          ['Thành công cuối / Last success', formatTime(connector.health.lastSuccessAt)],
          ['Lần chạy tới / Next run', formatTime(connector.health.nextRunAt)],
          ['Cập nhật / Updated', formatTime(connector.updatedAt)],
        ]) + `\n${toYaml({ config: connector.config, mapping: connector.mapping })}`,
      );
    });

  connectors
    .command('test <name>')
    .description('Thử kết nối tới nguồn và liệt kê trường dữ liệu — reach the source and list what it offers')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      const { testConnector: result } = await client.graphql<{ testConnector: { ok: boolean; message: string; warnings: string[]; streams: Array<{ name: string; fields: string[] }> } }>(
        'mutation Test($id: ID!) { testConnector(id: $id) { ok message warnings streams { name fields } } }',
        { id: connector.id },
      );
      output(options.output, result, () =>
        [
          `${result.ok ? '✔ Kết nối được / reachable' : '✘ Không kết nối được / not reachable'}: ${result.message}`,
          ...result.warnings.map((warning) => `⚠ ${warning}`),
          ...result.streams.map((stream) => `• ${stream.name}: ${stream.fields.join(', ')}`),
        ].join('\n') + '\n',
      );
      if (!result.ok) process.exitCode = 1;
    });

  for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
    connectors
      .command(`${verb} <name>`)
      .description(enabled ? 'Bật bộ kết nối (chạy theo lịch) / enable a connector' : 'Tắt bộ kết nối (không chạy theo lịch, từ chối đẩy) / disable a connector')
      .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
      .addOption(outputOption())
      .action(async (name: string, options: { department?: string; output: OutputFormat }, command: Command) => {
        const client = clientOf(command);
        const connector = await findConnector(client, name, options.department);
        const { setConnectorEnabled: result } = await client.graphql<{ setConnectorEnabled: { id: string; enabled: boolean; version: number } }>(
          'mutation Enable($id: ID!, $enabled: Boolean!) { setConnectorEnabled(id: $id, enabled: $enabled) { id enabled version } }',
          { id: connector.id, enabled },
        );
        output(options.output, { id: result.id, name: connector.name, enabled: result.enabled, version: result.version }, () =>
          `${connector.name}: ${result.enabled ? 'đã bật / enabled' : 'đã tắt / disabled'}\n`,
        );
      });
  }

  connectors
    .command('delete <name>')
    .description('Xoá bộ kết nối (sổ chạy và dữ liệu đã nhập vẫn giữ) — delete a connector (its run ledger and values stay)')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('-y, --yes', 'xác nhận / confirm')
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; yes?: boolean; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      if (!options.yes) throw new CliError(`Thêm --yes để xoá "${connector.name}" — add --yes to delete "${connector.name}"`);
      await client.graphql('mutation Delete($id: ID!) { deleteConnector(id: $id) }', { id: connector.id });
      output(options.output, { id: connector.id, name: connector.name, deleted: true }, () => `${connector.name}: đã xoá / deleted\n`);
    });

  connectors
    .command('apply')
    .description('Áp dụng manifest: in kế hoạch (tạo / cập nhật / không đổi) rồi áp dụng — apply manifests: print the plan, then apply it')
    .requiredOption('-f, --file <paths...>', 'tệp hoặc thư mục .yaml / manifest files or folders')
    .option('--dry-run', 'chỉ in kế hoạch, không đổi gì / print the plan and change nothing')
    .option('--rotate-secrets', 'gửi lại mọi bí mật từ biến môi trường / send every secret again from the environment')
    .addOption(outputOption())
    .action(async (options: { file: string[]; dryRun?: boolean; rotateSecrets?: boolean; output: OutputFormat }, command: Command) => {
      const manifests = readManifests(options.file);
      const client = clientOf(command);
      const entries = await plan(client, manifests, { rotateSecrets: options.rotateSecrets ?? false });
      if (options.dryRun) {
        output(options.output, planJson(entries), () => planText(entries, 'Kế hoạch (chạy thử, không đổi gì) — plan (dry run, nothing changed):'));
        return;
      }
      if (options.output === 'table') process.stdout.write(planText(entries, 'Kế hoạch — plan:'));
      const applied = await applyPlan(client, entries);
      const ids = new Map(applied.map((item) => [item.entry, item.id]));
      output(options.output, planJson(entries, ids), () => `Đã áp dụng — applied: ${applied.filter((item) => item.entry.action !== 'unchanged').length} thay đổi / changes\n`);
    });

  connectors
    .command('export [names...]')
    .description('Xuất manifest của bộ kết nối đã đăng ký (không có bí mật) — write manifests of registered connectors (without secrets)')
    .option('-d, --department <code>', 'chỉ của sở ngành này / of this department only')
    .option('--dir <folder>', 'một tệp mỗi bộ kết nối trong thư mục này / one file per connector in this folder (default: standard output)')
    .action(async (names: string[], options: { department?: string; dir?: string }, command: Command) => {
      const client = clientOf(command);
      let list = await listConnectors(client, options.department);
      if (names.length > 0) {
        const wanted = new Set(names.map((name) => name.normalize('NFC').trim()));
        const missing = [...wanted].filter((name) => !list.some((connector) => connector.name === name));
        if (missing.length > 0) throw new CliError(`Không tìm thấy — not found: ${missing.join(', ')}`, [], 1, 'NOT_FOUND');
        list = list.filter((connector) => wanted.has(connector.name));
      }
      const header = `# yaml-language-server: $schema=${client.connection.url}/schemas/connector-manifest.json\n`;
      if (options.dir) {
        fs.mkdirSync(options.dir, { recursive: true });
        for (const connector of list) {
          const file = path.join(options.dir, `${connector.department.code.toLowerCase()}-${connector.databaseId}.yaml`);
          fs.writeFileSync(file, header + toYaml(manifestOf(connector), { lineWidth: 0 }));
          process.stderr.write(`${file}\n`);
        }
        return;
      }
      process.stdout.write(header + list.map((connector) => toYaml(manifestOf(connector), { lineWidth: 0 })).join('---\n'));
    });

  connectors
    .command('run <name>')
    .description('Chạy ngay (cửa sổ thường lệ, hoặc --from/--to để nạp lại) với thanh tiến độ — run now (routine window, or a backfill with --from/--to) with a progress bar')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('--from <date>', 'ngày đầu của đợt nạp lại / first day of a backfill (YYYY-MM-DD)')
    .option('--to <date>', 'ngày cuối / last day of a backfill (YYYY-MM-DD)')
    .option('--no-wait', 'không chờ kết thúc / do not wait for the run to finish')
    .option('--poll <ms>', 'khoảng hỏi tiến độ / progress poll interval in ms', (value) => Number(value), 500)
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; from?: string; to?: string; wait: boolean; poll: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      const { runConnector: started } = await client.graphql<{ runConnector: Run }>(
        `mutation Run($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to) { ${RUN_FIELDS} } }`,
        { id: connector.id, from: options.from ?? null, to: options.to ?? null },
      );
      if (!options.wait) {
        output(options.output, runJson(started), () => runSummaryText(connector, started));
        return;
      }
      const progress = progressFor(process.stderr, {
        format: `{bar} {fetched} dòng đọc / rows fetched | {imported} nhập / imported | {rejected} từ chối / rejected | {duration_formatted}`,
        quiet: options.output === 'json' && !process.stderr.isTTY,
      });
      process.stderr.write(`Đang chạy / running ${connector.name}: lần chạy / run ${started.databaseId}, ${formatDay(started.windowFrom)} – ${formatDay(started.windowTo)}\n`);
      // A RUNNING run's counts are written after every committed batch: polling the run shows them as they grow.
      let run = started;
      for (;;) {
        const { fetched, imported, updated, unchanged, rejected } = run.summary;
        progress.update(
          { value: fetched, fetched, imported, updated, unchanged, rejected },
          `${formatTime(new Date())} ${STATUS_WORDS[run.status] ?? run.status}: ${formatNumber(fetched)} dòng đọc / rows fetched, ${formatNumber(imported)} nhập / imported, ${formatNumber(updated)} cập nhật / updated, ${formatNumber(unchanged)} không đổi / unchanged, ${formatNumber(rejected)} từ chối / rejected`,
        );
        if (run.status !== 'RUNNING') break;
        await sleep(options.poll);
        const { connectorRun } = await client.graphql<{ connectorRun: Run }>(`query Run($id: ID!) { connectorRun(id: $id) { ${RUN_FIELDS} } }`, { id: run.id });
        run = connectorRun;
      }
      progress.stop();
      output(options.output, runJson(run), () => runSummaryText(connector, run));
      if (run.status === 'FAILED' || run.status === 'INTERRUPTED') process.exitCode = 1;
    });

  program
    .command('runs <name>')
    .description('Các lần chạy gần nhất của một bộ kết nối / recent runs of a connector')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('-n, --limit <count>', 'số lần chạy / how many runs', (value) => Number(value), 20)
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; limit: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      const { connector: found } = await client.graphql<{ connector: { runs: { edges: Array<{ node: Run }> } } }>(
        `query Runs($id: ID!, $first: Int) { connector(id: $id) { runs(first: $first) { edges { node { ${RUN_FIELDS} } } } } }`,
        { id: connector.id, first: options.limit },
      );
      const runs = found.runs.edges.map((edge) => edge.node);
      output(options.output, runs.map(runJson), () =>
        table(
          ['Lần / Run', 'Kích hoạt / Trigger', 'Trạng thái / Status', 'Bắt đầu / Started', 'Khoảng / Window', 'Đọc / Fetched', 'Nhập / Imported', 'Từ chối / Rejected', 'Thời gian / Duration'],
          runs.map((run) => [
            String(run.databaseId),
            run.trigger,
            run.status,
            formatTime(run.startedAt),
            `${formatDay(run.windowFrom)} – ${formatDay(run.windowTo)}`,
            formatNumber(run.summary.fetched),
            formatNumber(run.summary.imported),
            formatNumber(run.summary.rejected),
            formatDuration(run.durationMs),
          ]),
        ),
      );
    });

  program
    .command('rejections <run>')
    .description('Các dòng một lần chạy đã từ chối (lý do, dòng, dữ liệu gốc) — rows a run refused (reason, row, raw)')
    .option('-n, --limit <count>', 'số dòng / how many rows', (value) => Number(value), 100)
    .addOption(outputOption())
    .action(async (runId: string, options: { limit: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const { connectorRun } = await client.graphql<{
        connectorRun: { id: string; databaseId: number; rejections: { totalCount: number; edges: Array<{ node: { rowIndex: number; reason: string; message: string; raw: unknown } }> } };
      }>('query Rejections($id: ID!, $first: Int) { connectorRun(id: $id) { id databaseId rejections(first: $first) { totalCount edges { node { rowIndex reason message raw } } } } }', {
        id: runId,
        first: options.limit,
      });
      const rows = connectorRun.rejections.edges.map((edge) => edge.node);
      output(options.output, { run: connectorRun.id, totalCount: connectorRun.rejections.totalCount, rejections: rows }, () =>
        table(['Dòng / Row', 'Lý do / Reason', 'Thông báo / Message', 'Dữ liệu gốc / Raw'], rows.map((row) => [formatNumber(row.rowIndex + 1), row.reason, row.message, JSON.stringify(row.raw)])) +
        `${formatNumber(rows.length)} / ${formatNumber(connectorRun.rejections.totalCount)} dòng bị từ chối / rejected rows\n`,
      );
    });

  program
    .command('push <name> <file>')
    .description('Đẩy tệp .csv hoặc .json (mọi kích thước, theo từng phần) vào bộ kết nối push — push a .csv or .json file of any size, in chunks')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('--chunk-rows <count>', 'số dòng mỗi phần (tối đa maxRowsPerPush) / rows per chunk (at most the connector\'s maxRowsPerPush)', (value) => Number(value), 10_000)
    .addOption(outputOption())
    .action(async (name: string, file: string, options: { department?: string; chunkRows: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      if (connector.kind !== 'push') throw new CliError(`"${connector.name}" là bộ kết nối ${connector.kind}, hub tự kéo dữ liệu — "${connector.name}" is a ${connector.kind} connector, which the hub pulls: rows cannot be pushed to it`);
      if (!Number.isInteger(options.chunkRows) || options.chunkRows < 1) throw new CliError('--chunk-rows: phải là số nguyên dương — must be a positive whole number');
      const limit = Number((connector.config as { maxRowsPerPush?: number }).maxRowsPerPush ?? 50_000);
      const { total, chunks } = chunksOf(file, Math.min(options.chunkRows, limit));
      const progress = progressFor(process.stderr, {
        total,
        format: `{bar} {percentage}% | {value}/{total} dòng / rows | {chunks} phần / chunks | {rejected} từ chối / rejected | {duration_formatted}`,
        quiet: options.output === 'json' && !process.stderr.isTTY,
      });
      progress.update({ value: 0, chunks: 0, rejected: 0 }, `0/${formatNumber(total)} dòng / rows`);
      const outcome = await pushChunks(client, connector.databaseId, chunks, (done) =>
        progress.update(
          { value: done.rows, chunks: done.chunks, rejected: done.summary.rejected },
          `${formatTime(new Date())} ${formatNumber(done.rows)}/${formatNumber(total)} dòng / rows, ${done.chunks}/${chunks.length} phần / chunks, ${formatNumber(done.summary.rejected)} từ chối / rejected`,
        ),
      ).finally(() => progress.stop());
      output(options.output, { connector: connector.id, file, rows: outcome.rows, chunks: outcome.chunks, runs: outcome.runs, summary: outcome.summary, rejections: outcome.rejections }, () =>
        fields([
          ['Bộ kết nối / Connector', `${connector.department.code} / ${connector.name}`],
          ['Tệp / File', file],
          ['Dòng / Rows', formatNumber(outcome.rows)],
          ['Phần / Chunks', `${formatNumber(outcome.chunks)} (lần chạy / runs ${outcome.runs.join(', ')})`],
          ['Nhập mới / Imported', formatNumber(outcome.summary.imported)],
          ['Cập nhật / Updated', formatNumber(outcome.summary.updated)],
          ['Không đổi / Unchanged', formatNumber(outcome.summary.unchanged)],
          ['Bị từ chối / Rejected', formatNumber(outcome.summary.rejected)],
        ]) +
        (outcome.rejections.length > 0
          ? table(['Dòng / Row', 'Lý do / Reason', 'Thông báo / Message'], outcome.rejections.slice(0, 20).map((rejection) => [formatNumber(rejection.row), rejection.reason, rejection.message]))
          : ''),
      );
    });

  const exporting = program.command('export').description('Tải CSV chuỗi thời gian hoặc tổng hợp / download series or aggregate CSV (to standard output, e.g. > file.csv)');
  for (const name of ['series', 'aggregate'] as const) {
    exporting
      .command(name)
      .description(name === 'series' ? 'CSV của series(...) / the CSV of series(...)' : 'CSV của aggregate(...) / the CSV of aggregate(...)')
      .requiredOption('--metrics <codes>', 'mã chỉ tiêu, cách nhau bởi dấu phẩy / metric codes, comma-separated')
      .requiredOption('--from <period>', 'kỳ đầu / first period, e.g. 2025-01')
      .requiredOption('--to <period>', 'kỳ cuối / last period')
      .option('--granularity <frequency>', 'DAY, WEEK, MONTH, QUARTER, YEAR')
      .option('--level <level>', 'cấp đơn vị / unit level')
      .option('--units <codes>', 'mã đơn vị / unit codes, comma-separated')
      .option('--as-of <time>', 'dữ liệu như tại thời điểm / values as of (ISO time)')
      .option('--arg <name=value...>', 'tham số khác của trường GraphQL / any other argument of the GraphQL field')
      .option('-f, --file <path>', 'ghi vào tệp / write to a file (default: standard output)')
      .action(async (options: Record<string, string | string[] | undefined>, command: Command) => {
        const client = clientOf(command);
        const query = new URLSearchParams();
        const names: Record<string, string> = { metrics: 'metrics', from: 'from', to: 'to', granularity: 'granularity', level: 'level', units: 'units', asOf: 'asOf' };
        for (const [option, argument] of Object.entries(names)) if (typeof options[option] === 'string') query.set(argument, options[option] as string);
        for (const pair of (options.arg as string[] | undefined) ?? []) {
          const at = pair.indexOf('=');
          if (at < 1) throw new CliError(`--arg ${pair}: cần dạng tên=giá trị — expected name=value`);
          query.append(pair.slice(0, at), pair.slice(at + 1));
        }
        const response = await client.request(`/export/${name}?${query.toString()}`);
        await client.throwIfFailed(response);
        const text = await response.text();
        if (typeof options.file === 'string') fs.writeFileSync(options.file, text);
        else process.stdout.write(text);
      });
  }

  const keys = program.command('keys').description('Khoá API (quản trị viên) / API keys (administrators)');
  const KEY_FIELDS = 'id databaseId name role prefix createdAt createdBy lastUsedAt revokedAt expiresAt active departments { code }';
  interface Key { id: string; databaseId: number; name: string; role: string; prefix: string; createdAt: string; createdBy: string; lastUsedAt: string | null; revokedAt: string | null; expiresAt: string | null; active: boolean; departments: Array<{ code: string }> }
  const keyJson = (key: Key) => ({ ...key, departments: key.departments.map((department) => department.code) });
  keys
    .command('create')
    .description('Tạo khoá API (chỉ hiện một lần) / create an API key (shown once)')
    .requiredOption('--name <name>', 'mục đích / what the key is for')
    .addOption(new Option('--role <role>', 'vai trò / role').choices(['ADMIN', 'DEPARTMENT_IT', 'ANALYST', 'VIEWER']).makeOptionMandatory())
    .option('--departments <codes>', 'sở ngành của khoá DEPARTMENT_IT / departments of a DEPARTMENT_IT key, comma-separated')
    .option('--expires-at <time>', 'hết hạn / expiry (ISO time)')
    .addOption(outputOption())
    .action(async (options: { name: string; role: string; departments?: string; expiresAt?: string; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const { createApiKey } = await client.graphql<{ createApiKey: { key: string; apiKey: Key } }>(
        `mutation Create($input: ApiKeyInput!) { createApiKey(input: $input) { key apiKey { ${KEY_FIELDS} } } }`,
        { input: { name: options.name, role: options.role, departmentCodes: options.departments?.split(',').map((code) => code.trim()) ?? null, expiresAt: options.expiresAt ?? null } },
      );
      output(options.output, { key: createApiKey.key, apiKey: keyJson(createApiKey.apiKey) }, () =>
        `Khoá / key: ${createApiKey.key}\nLưu ngay: hub chỉ giữ mã băm — store it now: the hub keeps only its hash (id ${createApiKey.apiKey.databaseId})\n`,
      );
    });
  keys
    .command('list')
    .description('Liệt kê khoá API / list API keys')
    .option('--include-revoked', 'cả khoá đã thu hồi / revoked keys too')
    .addOption(outputOption())
    .action(async (options: { includeRevoked?: boolean; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const { apiKeys } = await client.graphql<{ apiKeys: { edges: Array<{ node: Key }> } }>(
        `query Keys($includeRevoked: Boolean!) { apiKeys(first: 500, includeRevoked: $includeRevoked) { edges { node { ${KEY_FIELDS} } } } }`,
        { includeRevoked: options.includeRevoked ?? false },
      );
      const list = apiKeys.edges.map((edge) => edge.node);
      output(options.output, list.map(keyJson), () =>
        table(
          ['Mã / Id', 'Tên / Name', 'Vai trò / Role', 'Sở / Departments', 'Tiền tố / Prefix', 'Tạo / Created', 'Dùng lần cuối / Last used', 'Hiệu lực / Active'],
          list.map((key) => [String(key.databaseId), key.name, key.role, key.departments.map((department) => department.code).join(',') || '—', key.prefix, formatTime(key.createdAt), formatTime(key.lastUsedAt), key.active ? 'có / yes' : 'không / no']),
        ),
      );
    });
  keys
    .command('revoke <id>')
    .description('Thu hồi khoá API ngay / revoke an API key at once')
    .addOption(outputOption())
    .action(async (id: string, options: { output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const { revokeApiKey } = await client.graphql<{ revokeApiKey: Key }>(`mutation Revoke($id: ID!) { revokeApiKey(id: $id) { ${KEY_FIELDS} } }`, { id });
      output(options.output, keyJson(revokeApiKey), () => `${revokeApiKey.name}: đã thu hồi / revoked (${formatTime(revokeApiKey.revokedAt)})\n`);
    });

  return program;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Khoá API / API key: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0];
}

export { printJson };
