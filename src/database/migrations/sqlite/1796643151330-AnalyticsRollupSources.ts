import type { MigrationInterface, QueryRunner } from 'typeorm';
import { rebuildRollups } from '../../../modules/observations/rollups';

export class AnalyticsRollupSources1796643151330 implements MigrationInterface {
  name = 'AnalyticsRollupSources1796643151330';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_72360d082b42212c69556dfe4f"`);
    await queryRunner.query(`DROP INDEX "IDX_763ed7262cc48d8dbab5702448"`);
    await queryRunner.query(`CREATE TABLE "temporary_observation_rollup" ("metricId" integer NOT NULL, "unitId" integer NOT NULL, "month" varchar(7) NOT NULL, "level" varchar(16) NOT NULL, "valueSum" double NOT NULL, "numeratorSum" double, "denominatorSum" double, "observationCount" integer NOT NULL, "numeratorCount" integer NOT NULL, "latestPeriodStart" date NOT NULL, "latestValue" double NOT NULL, "sources" text NOT NULL, PRIMARY KEY ("metricId", "unitId", "month"))`);
    // No rows are copied: every row is re-derived below, with its sources.
    await queryRunner.query(`DROP TABLE "observation_rollup"`);
    await queryRunner.query(`ALTER TABLE "temporary_observation_rollup" RENAME TO "observation_rollup"`);
    await queryRunner.query(`CREATE INDEX "IDX_72360d082b42212c69556dfe4f" ON "observation_rollup" ("metricId", "level") `);
    await queryRunner.query(`CREATE INDEX "IDX_763ed7262cc48d8dbab5702448" ON "observation_rollup" ("metricId", "month") `);
    // The rollups of every stored observation, with the sources of each month.
    await rebuildRollups(queryRunner.manager);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_763ed7262cc48d8dbab5702448"`);
    await queryRunner.query(`DROP INDEX "IDX_72360d082b42212c69556dfe4f"`);
    await queryRunner.query(`ALTER TABLE "observation_rollup" RENAME TO "temporary_observation_rollup"`);
    await queryRunner.query(`CREATE TABLE "observation_rollup" ("metricId" integer NOT NULL, "unitId" integer NOT NULL, "month" varchar(7) NOT NULL, "level" varchar(16) NOT NULL, "valueSum" double NOT NULL, "numeratorSum" double, "denominatorSum" double, "observationCount" integer NOT NULL, "numeratorCount" integer NOT NULL, "latestPeriodStart" date NOT NULL, "latestValue" double NOT NULL, PRIMARY KEY ("metricId", "unitId", "month"))`);
    await queryRunner.query(`INSERT INTO "observation_rollup"("metricId", "unitId", "month", "level", "valueSum", "numeratorSum", "denominatorSum", "observationCount", "numeratorCount", "latestPeriodStart", "latestValue") SELECT "metricId", "unitId", "month", "level", "valueSum", "numeratorSum", "denominatorSum", "observationCount", "numeratorCount", "latestPeriodStart", "latestValue" FROM "temporary_observation_rollup"`);
    await queryRunner.query(`DROP TABLE "temporary_observation_rollup"`);
    await queryRunner.query(`CREATE INDEX "IDX_763ed7262cc48d8dbab5702448" ON "observation_rollup" ("metricId", "month") `);
    await queryRunner.query(`CREATE INDEX "IDX_72360d082b42212c69556dfe4f" ON "observation_rollup" ("metricId", "level") `);
  }
}
