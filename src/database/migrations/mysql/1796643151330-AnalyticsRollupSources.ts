import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildRollups } from '../../../modules/observations/rollups';

export class AnalyticsRollupSources1796643151330 implements MigrationInterface {
  name = 'AnalyticsRollupSources1796643151330';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Every row is re-derived below, with the sources of its month.
    await queryRunner.query(`DELETE FROM \`observation_rollup\``);
    await queryRunner.query(`ALTER TABLE \`observation_rollup\` ADD \`sources\` text NOT NULL`);
    await rebuildRollups(queryRunner.manager);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`observation_rollup\` DROP COLUMN \`sources\``);
  }
}
