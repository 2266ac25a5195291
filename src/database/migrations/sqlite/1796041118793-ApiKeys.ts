import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ApiKeys1796041118793 implements MigrationInterface {
  name = 'ApiKeys1796041118793';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "api_key" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(200) NOT NULL, "role" varchar(16) NOT NULL, "prefix" varchar(16) NOT NULL, "hash" varchar(64) NOT NULL, "createdAt" datetime NOT NULL, "createdBy" varchar(200) NOT NULL, "lastUsedAt" datetime, "revokedAt" datetime, "expiresAt" datetime)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_api_key_hash" ON "api_key" ("hash") `);
    await queryRunner.query(`CREATE TABLE "api_key_department" ("apiKeyId" integer NOT NULL, "departmentId" integer NOT NULL, PRIMARY KEY ("apiKeyId", "departmentId"))`);
    await queryRunner.query(`CREATE INDEX "IDX_5eac196760c5f1482017abe9ff" ON "api_key_department" ("apiKeyId") `);
    await queryRunner.query(`CREATE INDEX "IDX_1e386e46aa6c6830299bb7b548" ON "api_key_department" ("departmentId") `);
    await queryRunner.query(`DROP INDEX "IDX_5eac196760c5f1482017abe9ff"`);
    await queryRunner.query(`DROP INDEX "IDX_1e386e46aa6c6830299bb7b548"`);
    await queryRunner.query(`CREATE TABLE "temporary_api_key_department" ("apiKeyId" integer NOT NULL, "departmentId" integer NOT NULL, CONSTRAINT "FK_5eac196760c5f1482017abe9ff8" FOREIGN KEY ("apiKeyId") REFERENCES "api_key" ("id") ON DELETE CASCADE ON UPDATE CASCADE, CONSTRAINT "FK_1e386e46aa6c6830299bb7b5482" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE CASCADE ON UPDATE CASCADE, PRIMARY KEY ("apiKeyId", "departmentId"))`);
    await queryRunner.query(`INSERT INTO "temporary_api_key_department"("apiKeyId", "departmentId") SELECT "apiKeyId", "departmentId" FROM "api_key_department"`);
    await queryRunner.query(`DROP TABLE "api_key_department"`);
    await queryRunner.query(`ALTER TABLE "temporary_api_key_department" RENAME TO "api_key_department"`);
    await queryRunner.query(`CREATE INDEX "IDX_5eac196760c5f1482017abe9ff" ON "api_key_department" ("apiKeyId") `);
    await queryRunner.query(`CREATE INDEX "IDX_1e386e46aa6c6830299bb7b548" ON "api_key_department" ("departmentId") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_1e386e46aa6c6830299bb7b548"`);
    await queryRunner.query(`DROP INDEX "IDX_5eac196760c5f1482017abe9ff"`);
    await queryRunner.query(`ALTER TABLE "api_key_department" RENAME TO "temporary_api_key_department"`);
    await queryRunner.query(`CREATE TABLE "api_key_department" ("apiKeyId" integer NOT NULL, "departmentId" integer NOT NULL, PRIMARY KEY ("apiKeyId", "departmentId"))`);
    await queryRunner.query(`INSERT INTO "api_key_department"("apiKeyId", "departmentId") SELECT "apiKeyId", "departmentId" FROM "temporary_api_key_department"`);
    await queryRunner.query(`DROP TABLE "temporary_api_key_department"`);
    await queryRunner.query(`CREATE INDEX "IDX_1e386e46aa6c6830299bb7b548" ON "api_key_department" ("departmentId") `);
    await queryRunner.query(`CREATE INDEX "IDX_5eac196760c5f1482017abe9ff" ON "api_key_department" ("apiKeyId") `);
    await queryRunner.query(`DROP INDEX "IDX_1e386e46aa6c6830299bb7b548"`);
    await queryRunner.query(`DROP INDEX "IDX_5eac196760c5f1482017abe9ff"`);
    await queryRunner.query(`DROP TABLE "api_key_department"`);
    await queryRunner.query(`DROP INDEX "UQ_api_key_hash"`);
    await queryRunner.query(`DROP TABLE "api_key"`);
  }
}
