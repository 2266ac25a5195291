import type { MigrationInterface, QueryRunner } from 'typeorm';

/** connector_run.batches: the batches a run has committed so far, for progress views. */
export class RunBatches1796660000000 implements MigrationInterface {
  name = 'RunBatches1796660000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`connector_run\` ADD \`batches\` int NOT NULL DEFAULT 0`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`connector_run\` DROP COLUMN \`batches\``);
  }
}
