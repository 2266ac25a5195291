import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SecretKeyCheck1796643124998 implements MigrationInterface {
  name = 'SecretKeyCheck1796643124998';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "secret_key_check" ("keyId" varchar(64) PRIMARY KEY NOT NULL, "checkValue" varchar(64) NOT NULL, "recordedAt" datetime NOT NULL)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "secret_key_check"`);
  }
}
