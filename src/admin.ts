/**
 * The administration commands, one entry for all of them, run from the compiled build (`pilothub-admin`, the
 * package's bin, or `node dist/src/admin.js`; the npm scripts db:migrate, seed, demo:list, demo:purge and
 * secrets:rotate call it), in the image as on a clone. Each reads the hub's configuration (DATABASE_URL, …),
 * does its work and exits: 0 done, 1 failed (one line on stderr, nothing half done), 2 wrong usage.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { ConfigError, demoRefusal, loadConfig, type HubConfig } from './config';

const USAGE = `Usage: pilothub-admin <command> [options]

Commands:
  migrate                  apply pending database migrations, then exit
  seed [--demo]            load the reference data: administrative units and the programme's catalogue
                           (departments, programme, plan, pilot models, metrics; every status NOT_STARTED, no
                           observation). Only missing rows are added: safe to repeat.
                           --demo: also the demo plan progress and demo observations (for an empty database)
  purge-demo [--dry-run]   remove the demo observations (month rollups re-derived) and the demo plan progress,
                           in one transaction; --dry-run only counts them
  rotate-secrets           re-encrypt every connector secret under the active key of SECRETS_KEYS
  help                     this text

Configuration comes from the environment, as for the hub (DATABASE_URL, SQLITE_PATH, SECRETS_KEYS, NODE_ENV…).
`;

class UsageError extends Error {}

interface Command {
  options: readonly string[];
  run(config: HubConfig, options: ReadonlySet<string>): Promise<string>;
}

/** Opens the database (applying pending migrations, as every command needs the current schema), runs `work`, closes it. */
async function withDatabase(config: HubConfig, work: (dataSource: DataSource) => Promise<string>): Promise<string> {
  const { openDatabase } = await import('./database/open-database');
  const dataSource = await openDatabase(config.database);
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

const COMMANDS: Record<string, Command> = {
  migrate: {
    options: [],
    async run(config) {
      const { createDataSource, migrate } = await import('./database/data-source');
      const dataSource = createDataSource(config.database);
      await dataSource.initialize();
      try {
        const applied = await migrate(dataSource);
        return applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date';
      } finally {
        await dataSource.destroy();
      }
    },
  },
  seed: {
    options: ['--demo'],
    async run(config, options) {
      const demo = options.has('--demo');
      if (demo) {
        const refusal = demoRefusal(config, 'seed --demo');
        if (refusal) throw new ConfigError(refusal);
      }
      const { seedCatalogue } = await import('./seed/seed');
      const { underMigrationLock } = await import('./database/migration-lock');
      return withDatabase(config, async (dataSource) => {
        const summary = await underMigrationLock(dataSource, () => seedCatalogue(dataSource, { demo }));
        const counts = Object.entries(summary.inserted).map(([table, count]) => `${table} ${count}`);
        return `seed complete (${demo ? 'reference and demo data' : 'reference data only'}); rows inserted: ${counts.join(', ')}`;
      });
    },
  },
  'purge-demo': {
    options: ['--dry-run'],
    async run(config, options) {
      const { describeDemoData, listDemoData, purgeDemoData } = await import('./seed/demo-data');
      return withDatabase(config, async (dataSource) => {
        if (options.has('--dry-run')) {
          return `dry run, nothing changed: ${describeDemoData(await listDemoData(dataSource))}`;
        }
        return `removed ${describeDemoData(await purgeDemoData(dataSource))}; those tasks and models are NOT_STARTED`;
      });
    },
  },
  /**
   * Rotating a key: (1) SECRETS_KEYS="new:…,old:…" on every process (new writes use "new", "old" still decrypts),
   * restart; (2) rotate-secrets; (3) remove "old" from SECRETS_KEYS, restart. Running it again changes nothing; a
   * secret under a key that is not configured fails the command and nothing is changed.
   */
  'rotate-secrets': {
    options: [],
    async run(config) {
      const { loadSecretBox } = await import('./security/secret-keys');
      const { describeRotation, rotateSecrets } = await import('./security/connector-secrets');
      if (config.secrets.keys.length === 0) throw new ConfigError('SECRETS_KEYS is not set: there is no key to rotate to');
      // The keys are checked as at start-up: wrong bytes under a known id are refused before anything is written.
      return withDatabase(config, async (dataSource) => describeRotation(await rotateSecrets(dataSource, await loadSecretBox(config, dataSource))));
    },
  },
};

function parse(args: readonly string[]): { name: string; command: Command; options: Set<string> } | 'help' {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return 'help';
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"`);
  for (const option of rest) {
    if (!command.options.includes(option)) {
      throw new UsageError(`${name}: unknown option "${option}"${command.options.length > 0 ? ` (it takes ${command.options.join(', ')})` : ' (it takes none)'}`);
    }
  }
  return { name, command, options: new Set(rest) };
}

async function main(args: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`pilothub-admin: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const config = loadConfig();
    console.log(await parsed.command.run(config, parsed.options));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    console.error(`${parsed.name} failed: ${message}`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((status) => process.exit(status));
