/**
 * Generates the next migration for both dialects from the difference between the entities and a scratch
 * database migrated to the current head; with --check, fails instead when there is any difference.
 *
 *   npm run db:migration:generate -- AddSomething
 *   npm run db:migration:check
 *
 * The MySQL/MariaDB side needs a server: MIGRATION_DATABASE_URL (default mariadb://root@127.0.0.1:3306),
 * on which a scratch database is created and dropped.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { DatabaseConfig } from '../config';
import { createDataSource, migrate, migrationsFolder } from './data-source';

interface Difference {
  up: string[];
  down: string[];
}

// Generated MySQL DDL names no charset; tables must be utf8mb4 whatever the server's default is.
const MYSQL_TABLE_OPTIONS = 'ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci';

function withTableCharset(query: string): string {
  return /^CREATE TABLE/.test(query) ? query.replace(/ENGINE=InnoDB$/, MYSQL_TABLE_OPTIONS) : query;
}

async function differenceFromHead(config: DatabaseConfig): Promise<Difference> {
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return {
      up: sql.upQueries.map((query) => (config.kind === 'sqlite' ? query.query : withTableCharset(query.query))),
      down: sql.downQueries.map((query) => query.query).reverse(),
    };
  } finally {
    await dataSource.destroy();
  }
}

async function withScratchMysqlDatabase<T>(serverUrl: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `pilothub_migration_${process.pid}_${Date.now()}`;
  const server = await createConnection({ uri: serverUrl.replace(/^mariadb:/, 'mysql:') });
  try {
    await server.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await work(url.toString());
  } finally {
    await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await server.end();
  }
}

function escapeForTemplate(query: string): string {
  return query.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

function migrationSource(className: string, difference: Difference): string {
  const lines = (queries: string[]) =>
    queries.map((query) => `    await queryRunner.query(\`${escapeForTemplate(query)}\`);`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(difference.up)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines(difference.down)}
  }
}
`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const name = args.find((arg) => !arg.startsWith('--'));
  if (!check && (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name))) {
    throw new Error('give the migration a PascalCase name, e.g. npm run db:migration:generate -- AddRunLedger');
  }
  const serverUrl = process.env.MIGRATION_DATABASE_URL ?? 'mariadb://root@127.0.0.1:3306';
  const differences: Record<'sqlite' | 'mysql', Difference> = {
    sqlite: await differenceFromHead({ kind: 'sqlite', location: ':memory:', poolSize: 1 }),
    mysql: await withScratchMysqlDatabase(serverUrl, (url) =>
      differenceFromHead({ kind: serverUrl.startsWith('mysql:') ? 'mysql' : 'mariadb', location: url, poolSize: 2 }),
    ),
  };
  if (check) {
    const stale = Object.entries(differences).filter(([, difference]) => difference.up.length > 0);
    for (const [dialect, difference] of stale) {
      console.error(`${dialect}: entities and migrations differ; pending statements:\n  ${difference.up.join('\n  ')}`);
    }
    if (stale.length > 0) {
      console.error('run npm run db:migration:generate -- <Name> and commit the result');
      process.exit(1);
    }
    console.log('migrations match the entities (sqlite, mysql)');
    return;
  }
  const timestamp = Date.now();
  const className = `${name}${timestamp}`;
  for (const [dialect, difference] of Object.entries(differences)) {
    if (difference.up.length === 0) {
      console.log(`${dialect}: no changes`);
      continue;
    }
    const folder = migrationsFolder(dialect === 'sqlite' ? 'sqlite' : 'mysql');
    const file = path.join(folder, `${timestamp}-${name}.ts`);
    fs.writeFileSync(file, migrationSource(className, difference));
    console.log(`${dialect}: wrote ${path.relative(process.cwd(), file)} (${difference.up.length} statements)`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
