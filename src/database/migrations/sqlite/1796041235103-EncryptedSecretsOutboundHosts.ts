import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EncryptedSecretsOutboundHosts1796041235103 implements MigrationInterface {
  name = 'EncryptedSecretsOutboundHosts1796041235103';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "outbound_host" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "pattern" varchar(300) NOT NULL, "allowPrivate" boolean NOT NULL DEFAULT (0), "note" varchar(500), "createdBy" varchar(200) NOT NULL, "createdAt" datetime NOT NULL)`);
    await queryRunner.query(`CREATE UNIQUE INDEX "UQ_outbound_host_pattern" ON "outbound_host" ("pattern") `);
    await queryRunner.query(`CREATE TABLE "temporary_connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text NOT NULL, "keyId" varchar(64), "ciphertext" text, "iv" varchar(24), "tag" varchar(32), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "temporary_connector_secret"("connectorId", "name", "value", "keyId") SELECT "connectorId", "name", "value", "keyId" FROM "connector_secret"`);
    await queryRunner.query(`DROP TABLE "connector_secret"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector_secret" RENAME TO "connector_secret"`);
    await queryRunner.query(`CREATE TABLE "temporary_connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text, "keyId" varchar(64), "ciphertext" text, "iv" varchar(24), "tag" varchar(32), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "temporary_connector_secret"("connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag") SELECT "connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag" FROM "connector_secret"`);
    await queryRunner.query(`DROP TABLE "connector_secret"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector_secret" RENAME TO "connector_secret"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connector_secret" RENAME TO "temporary_connector_secret"`);
    await queryRunner.query(`CREATE TABLE "connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text NOT NULL, "keyId" varchar(64), "ciphertext" text, "iv" varchar(24), "tag" varchar(32), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "connector_secret"("connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag") SELECT "connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag" FROM "temporary_connector_secret"`);
    await queryRunner.query(`DROP TABLE "temporary_connector_secret"`);
    await queryRunner.query(`ALTER TABLE "connector_secret" RENAME TO "temporary_connector_secret"`);
    await queryRunner.query(`CREATE TABLE "connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text NOT NULL, "keyId" varchar(64), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "connector_secret"("connectorId", "name", "value", "keyId") SELECT "connectorId", "name", "value", "keyId" FROM "temporary_connector_secret"`);
    await queryRunner.query(`DROP TABLE "temporary_connector_secret"`);
    await queryRunner.query(`DROP INDEX "UQ_outbound_host_pattern"`);
    await queryRunner.query(`DROP TABLE "outbound_host"`);
  }
}
