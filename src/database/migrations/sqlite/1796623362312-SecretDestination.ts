import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SecretDestination1796623362312 implements MigrationInterface {
  name = 'SecretDestination1796623362312';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "temporary_connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text, "keyId" varchar(64), "ciphertext" text, "iv" varchar(24), "tag" varchar(32), "destination" varchar(1000), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "temporary_connector_secret"("connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag") SELECT "connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag" FROM "connector_secret"`);
    await queryRunner.query(`DROP TABLE "connector_secret"`);
    await queryRunner.query(`ALTER TABLE "temporary_connector_secret" RENAME TO "connector_secret"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "connector_secret" RENAME TO "temporary_connector_secret"`);
    await queryRunner.query(`CREATE TABLE "connector_secret" ("connectorId" integer NOT NULL, "name" varchar(64) NOT NULL, "value" text, "keyId" varchar(64), "ciphertext" text, "iv" varchar(24), "tag" varchar(32), CONSTRAINT "FK_3859f5ceef87e238a7d97b8c6a9" FOREIGN KEY ("connectorId") REFERENCES "connector" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("connectorId", "name"))`);
    await queryRunner.query(`INSERT INTO "connector_secret"("connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag") SELECT "connectorId", "name", "value", "keyId", "ciphertext", "iv", "tag" FROM "temporary_connector_secret"`);
    await queryRunner.query(`DROP TABLE "temporary_connector_secret"`);
  }
}
