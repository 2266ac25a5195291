import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ConnectorVersion1796623239528 implements MigrationInterface {
  name = 'ConnectorVersion1796623239528';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_connector_name"`);
    await queryRunner.query(`CREATE TABLE "temporary_connector" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(200) NOT NULL, "kind" varchar(32) NOT NULL, "departmentId" integer NOT NULL, "schedule" varchar(100), "timeZone" varchar(64) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "lookbackDays" integer NOT NULL DEFAULT (7), "maxWindowDays" integer, "config" text NOT NULL, "mapping" text NOT NULL, "mappingVersion" integer NOT NULL DEFAULT (1), "createdAt" datetime NOT NULL, "updatedAt" datetime NOT NULL, "deletedAt" datetime, "version" integer NOT NULL DEFAULT (1), CONSTRAINT "FK_abe2687c516bb885106c3f24372" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "temporary_connector"("id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt") SELECT "id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt" FROM "connector"`);
    await queryRunner.query(`DROP TABLE "connector"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector" RENAME TO "connector"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connector_name" ON "connector" ("name") `);
    // A connector left behind its stored mapping versions by concurrent changes (before they were serialized)
    // takes the newest stored version of the mapping it holds.
    await queryRunner.query(
      'UPDATE "connector" SET "mappingVersion" = (SELECT MAX(v."version") FROM "connector_mapping_version" v WHERE v."connectorId" = "connector"."id" AND v."mapping" = "connector"."mapping") ' +
        'WHERE EXISTS (SELECT 1 FROM "connector_mapping_version" v WHERE v."connectorId" = "connector"."id" AND v."mapping" = "connector"."mapping" AND v."version" > "connector"."mappingVersion")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "UQ_connector_name"`);
    await queryRunner.query(`ALTER TABLE "connector" RENAME TO "temporary_connector"`);
    await queryRunner.query(`CREATE TABLE "connector" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "name" varchar(200) NOT NULL, "kind" varchar(32) NOT NULL, "departmentId" integer NOT NULL, "schedule" varchar(100), "timeZone" varchar(64) NOT NULL, "enabled" boolean NOT NULL DEFAULT (1), "lookbackDays" integer NOT NULL DEFAULT (7), "maxWindowDays" integer, "config" text NOT NULL, "mapping" text NOT NULL, "mappingVersion" integer NOT NULL DEFAULT (1), "createdAt" datetime NOT NULL, "updatedAt" datetime NOT NULL, "deletedAt" datetime, CONSTRAINT "FK_abe2687c516bb885106c3f24372" FOREIGN KEY ("departmentId") REFERENCES "department" ("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`);
    await queryRunner.query(`INSERT INTO "connector"("id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt") SELECT "id", "name", "kind", "departmentId", "schedule", "timeZone", "enabled", "lookbackDays", "maxWindowDays", "config", "mapping", "mappingVersion", "createdAt", "updatedAt", "deletedAt" FROM "temporary_connector"`);
    await queryRunner.query(`DROP TABLE "temporary_connector"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_connector_name" ON "connector" ("name") `);
  }
}
