import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SecretDestination1796623362312 implements MigrationInterface {
  name = 'SecretDestination1796623362312';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`connector_secret\` ADD \`destination\` varchar(1000) NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`connector_secret\` DROP COLUMN \`destination\``);
  }
}
