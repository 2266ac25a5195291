/** `login` (profiles), `schema` (the manifest JSON Schema) and `keys` (API keys, administrators). */
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { HubClient } from '../client';
import { CliError } from '../errors';
import { formatTime, output, table, type OutputFormat } from '../format';
import { baseUrl, configPath, readConfig, writeConfig } from '../profiles';
import { clientOf, outputOption } from '../shared';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Khoá API / API key: ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (process.stdin.isTTY && Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split('\n')[0];
}

export function addAdminCommands(program: Command): void {
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

}
