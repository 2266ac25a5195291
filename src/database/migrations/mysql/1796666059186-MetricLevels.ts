import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The unit levels a metric is reported at (comma-separated UnitLevel names); metrics defined before: every level. */
export class MetricLevels1796666059186 implements MigrationInterface {
  name = 'MetricLevels1796666059186';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`levels\` varchar(64) NOT NULL DEFAULT 'PROVINCE,DISTRICT,COMMUNE'`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`levels\``);
  }
}
