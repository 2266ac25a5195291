import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MetricValueRange1796633870606 implements MigrationInterface {
  name = 'MetricValueRange1796633870606';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`minValue\` double NULL`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD \`maxValue\` double NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`maxValue\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP COLUMN \`minValue\``);
  }
}
