import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AnalyticsRollupLevels1796043389695 implements MigrationInterface {
  name = 'AnalyticsRollupLevels1796043389695';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "IDX_72360d082b42212c69556dfe4f" ON "observation_rollup" ("metricId", "level") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_72360d082b42212c69556dfe4f"`);
  }
}
