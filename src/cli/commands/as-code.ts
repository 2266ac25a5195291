/** `connectors apply` and `connectors export`: connectors as code (see apply.ts and manifests.ts). */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { applyPlan, plan, type Change, type PlanEntry } from '../apply';
import { CliError } from '../errors';
import { output, type OutputFormat } from '../format';
import { listConnectors, type HubConnector } from '../hub-connectors';
import { API_VERSION, readManifests } from '../manifests';
import { clientOf, outputOption } from '../shared';

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
      const { schedule, timeZone, lookbackDays } = entry.definition;
      lines.push(`      + ${schedule ? `spec.schedule: ${show(schedule)}, ` : ''}timeZone: ${show(timeZone)}, lookbackDays: ${lookbackDays}`);
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


export function addConnectorsAsCode(connectors: Command): void {
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

}
