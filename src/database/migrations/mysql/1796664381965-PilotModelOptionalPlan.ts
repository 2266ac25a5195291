import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A pilot model needs only a code, names and a lead department: responsible person, deadline and task group become
 * optional, and the model carries its programme and the first plan year it counts in (filled from its task group);
 * down fails while a model has no task group, deadline or responsible person.
 */
export class PilotModelOptionalPlan1796664381965 implements MigrationInterface {
  name = 'PilotModelOptionalPlan1796664381965';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Programme and first plan year come from the task group every model has until now.
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD \`programId\` int NULL, ADD \`planYear\` int NULL`);
    await queryRunner.query(
      `UPDATE \`pilot_model\` INNER JOIN \`task_group\` ON \`task_group\`.\`id\` = \`pilot_model\`.\`taskGroupId\` SET \`pilot_model\`.\`programId\` = \`task_group\`.\`programId\`, \`pilot_model\`.\`planYear\` = \`task_group\`.\`planYear\``,
    );
    await queryRunner.query(`ALTER TABLE \`pilot_model\` MODIFY \`programId\` int NOT NULL, MODIFY \`planYear\` int NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP FOREIGN KEY \`FK_84264cf5fa19fc3f2352dab4937\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`responsiblePerson\` \`responsiblePerson\` varchar(200) NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`deadline\` \`deadline\` date NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`taskGroupId\` \`taskGroupId\` int NULL`);
    await queryRunner.query(`CREATE INDEX \`IDX_f9c7b3482410cd446543e9828f\` ON \`pilot_model\` (\`planYear\`)`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD CONSTRAINT \`FK_84264cf5fa19fc3f2352dab4937\` FOREIGN KEY (\`taskGroupId\`) REFERENCES \`task_group\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD CONSTRAINT \`FK_86583bce48274f4a6c004745320\` FOREIGN KEY (\`programId\`) REFERENCES \`program\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP FOREIGN KEY \`FK_86583bce48274f4a6c004745320\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP FOREIGN KEY \`FK_84264cf5fa19fc3f2352dab4937\``);
    await queryRunner.query(`DROP INDEX \`IDX_f9c7b3482410cd446543e9828f\` ON \`pilot_model\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`taskGroupId\` \`taskGroupId\` int NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`deadline\` \`deadline\` date NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` CHANGE \`responsiblePerson\` \`responsiblePerson\` varchar(200) NOT NULL`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD CONSTRAINT \`FK_84264cf5fa19fc3f2352dab4937\` FOREIGN KEY (\`taskGroupId\`) REFERENCES \`task_group\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP COLUMN \`planYear\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP COLUMN \`programId\``);
  }
}
