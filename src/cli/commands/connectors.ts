/** `connectors list|describe|test|enable|disable|delete`. */
import { Command } from 'commander';
import { stringify as toYaml } from 'yaml';
import { CliError } from '../errors';
import { fields, formatNumber, formatTime, output, table, type OutputFormat } from '../format';
import { findConnector, listConnectors, type HubConnector } from '../hub-connectors';
import { clientOf, outputOption } from '../shared';

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


export function addConnectorCommands(connectors: Command): void {
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

}
