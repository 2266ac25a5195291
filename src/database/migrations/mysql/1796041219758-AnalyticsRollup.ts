import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AnalyticsRollup1796041219758 implements MigrationInterface {
  name = 'AnalyticsRollup1796041219758';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`observation_rollup\` (\`metricId\` int NOT NULL, \`unitId\` int NOT NULL, \`month\` varchar(7) NOT NULL, \`level\` varchar(16) NOT NULL, \`valueSum\` double NOT NULL, \`numeratorSum\` double NULL, \`denominatorSum\` double NULL, \`observationCount\` int NOT NULL, \`numeratorCount\` int NOT NULL, \`latestPeriodStart\` date NOT NULL, \`latestValue\` double NOT NULL, INDEX \`IDX_763ed7262cc48d8dbab5702448\` (\`metricId\`, \`month\`), PRIMARY KEY (\`metricId\`, \`unitId\`, \`month\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    // Observations stored before this migration get their rollups from the latest migration that changes the
    // table's columns (AnalyticsRollupSources): rebuildRollups writes the columns of today's table.
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_763ed7262cc48d8dbab5702448\` ON \`observation_rollup\``);
    await queryRunner.query(`DROP TABLE \`observation_rollup\``);
  }
}
