import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MetricValueRange1796633870606 implements MigrationInterface {
  name = 'MetricValueRange1796633870606';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Added in place: rebuilding the table would have to repeat the indexes and references of every earlier migration.
    await queryRunner.query(`ALTER TABLE "metric" ADD COLUMN "minValue" double`);
    await queryRunner.query(`ALTER TABLE "metric" ADD COLUMN "maxValue" double`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "metric" DROP COLUMN "maxValue"`);
    await queryRunner.query(`ALTER TABLE "metric" DROP COLUMN "minValue"`);
  }
}
