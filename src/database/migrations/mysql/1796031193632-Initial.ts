import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1796031193632 implements MigrationInterface {
  name = 'Initial1796031193632';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`department\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(32) NOT NULL, \`name\` varchar(200) NOT NULL, \`nameVi\` varchar(200) NOT NULL, \`validFrom\` date NULL, \`validTo\` date NULL, \`successorId\` int NULL, \`basis\` varchar(16) NOT NULL, UNIQUE INDEX \`UQ_department_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`program\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(32) NOT NULL, \`name\` varchar(300) NOT NULL, \`nameVi\` varchar(300) NOT NULL, \`decision\` varchar(200) NOT NULL, \`planYear\` int NOT NULL, UNIQUE INDEX \`UQ_program_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`task_group\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(32) NOT NULL, \`number\` int NOT NULL, \`name\` varchar(300) NOT NULL, \`nameVi\` varchar(300) NOT NULL, \`programId\` int NOT NULL, \`leadDepartmentId\` int NOT NULL, \`basis\` varchar(16) NOT NULL, UNIQUE INDEX \`UQ_task_group_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`pilot_model\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(32) NOT NULL, \`leadDepartmentId\` int NOT NULL, \`responsiblePerson\` varchar(200) NOT NULL, \`deadline\` date NOT NULL, \`status\` varchar(16) NOT NULL, \`completedAt\` datetime NULL, \`basis\` varchar(16) NOT NULL, \`number\` int NOT NULL, \`name\` varchar(300) NOT NULL, \`nameVi\` varchar(300) NOT NULL, \`taskGroupId\` int NOT NULL, \`statusIsDemo\` tinyint NOT NULL DEFAULT 0, INDEX \`IDX_867f38be0cf0fa55c185aeeace\` (\`deadline\`), INDEX \`IDX_82b18f926f67c1d1e41fa58920\` (\`status\`), UNIQUE INDEX \`UQ_pilot_model_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`pilot_model_change\` (\`id\` int NOT NULL AUTO_INCREMENT, \`subjectId\` int NOT NULL, \`field\` varchar(32) NOT NULL, \`fromValue\` varchar(300) NULL, \`toValue\` varchar(300) NOT NULL, \`changedAt\` datetime NOT NULL, \`author\` varchar(200) NOT NULL, \`note\` text NULL, INDEX \`IDX_f44e8a2a5c6ec0d7c220c0a075\` (\`changedAt\`), INDEX \`IDX_326cae51ca849c142c7a0d2e99\` (\`subjectId\`, \`changedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`task\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(32) NOT NULL, \`leadDepartmentId\` int NOT NULL, \`responsiblePerson\` varchar(200) NOT NULL, \`deadline\` date NOT NULL, \`status\` varchar(16) NOT NULL, \`completedAt\` datetime NULL, \`basis\` varchar(16) NOT NULL, \`title\` varchar(500) NOT NULL, \`titleVi\` varchar(500) NOT NULL, \`taskGroupId\` int NOT NULL, \`product\` varchar(500) NOT NULL, \`targetValue\` double NULL, \`targetUnit\` varchar(64) NULL, INDEX \`IDX_d6ce64ab404f3d213339b1d38c\` (\`deadline\`), INDEX \`IDX_2fe7a278e6f08d2be55740a939\` (\`status\`), UNIQUE INDEX \`UQ_task_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`task_change\` (\`id\` int NOT NULL AUTO_INCREMENT, \`subjectId\` int NOT NULL, \`field\` varchar(32) NOT NULL, \`fromValue\` varchar(300) NULL, \`toValue\` varchar(300) NOT NULL, \`changedAt\` datetime NOT NULL, \`author\` varchar(200) NOT NULL, \`note\` text NULL, INDEX \`IDX_98aa1bc42380b5249e7697dca0\` (\`changedAt\`), INDEX \`IDX_95733daf142ee1a20ea14e1834\` (\`subjectId\`, \`changedAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`metric\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(64) NOT NULL, \`name\` varchar(300) NOT NULL, \`nameVi\` varchar(300) NOT NULL, \`unit\` varchar(64) NOT NULL, \`kind\` varchar(16) NOT NULL, \`frequency\` varchar(16) NOT NULL, \`pilotModelId\` int NOT NULL, \`departmentId\` int NOT NULL, \`targetValue\` double NULL, \`targetDate\` date NULL, \`basis\` varchar(16) NOT NULL, UNIQUE INDEX \`UQ_metric_code\` (\`code\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`administrative_unit\` (\`id\` int NOT NULL AUTO_INCREMENT, \`code\` varchar(10) NOT NULL, \`name\` varchar(200) NOT NULL, \`type\` varchar(50) NOT NULL, \`level\` varchar(16) NOT NULL, \`parentId\` int NULL, \`validFrom\` date NOT NULL, \`validTo\` date NULL, INDEX \`IDX_3c7029693b88d90ae698612124\` (\`level\`, \`validFrom\`), UNIQUE INDEX \`UQ_administrative_unit_code_valid_from\` (\`code\`, \`validFrom\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`unit_predecessor\` (\`unitId\` int NOT NULL, \`predecessorId\` int NOT NULL, \`share\` varchar(16) NOT NULL, PRIMARY KEY (\`unitId\`, \`predecessorId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`observation\` (\`id\` int NOT NULL AUTO_INCREMENT, \`metricId\` int NOT NULL, \`unitId\` int NOT NULL, \`period\` varchar(10) NOT NULL, \`periodStart\` date NOT NULL, \`periodEnd\` date NOT NULL, \`value\` double NOT NULL, \`numerator\` double NULL, \`denominator\` double NULL, \`recordedAt\` datetime NOT NULL, \`source\` varchar(100) NOT NULL, \`isDemo\` tinyint NOT NULL DEFAULT 0, INDEX \`IDX_6714d0bbb4a16474f6c2406b90\` (\`unitId\`), INDEX \`IDX_03ca910e2281d5d19e07b1d369\` (\`metricId\`, \`periodStart\`), UNIQUE INDEX \`UQ_observation_metric_unit_period\` (\`metricId\`, \`unitId\`, \`period\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`pilot_model_supporting_department\` (\`pilotModelId\` int NOT NULL, \`departmentId\` int NOT NULL, INDEX \`IDX_259677b4486b0eabeb1f297e9a\` (\`pilotModelId\`), INDEX \`IDX_5da797c4c9d5e37190ed656739\` (\`departmentId\`), PRIMARY KEY (\`pilotModelId\`, \`departmentId\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`department\` ADD CONSTRAINT \`FK_d4b105c34f5291d13a26a252c0f\` FOREIGN KEY (\`successorId\`) REFERENCES \`department\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`task_group\` ADD CONSTRAINT \`FK_7f89a21370fe9528fe76b1cf985\` FOREIGN KEY (\`programId\`) REFERENCES \`program\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`task_group\` ADD CONSTRAINT \`FK_995e6de047c810ba893d954ba8c\` FOREIGN KEY (\`leadDepartmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD CONSTRAINT \`FK_6caab460a1f3d0a45b6b91a4f93\` FOREIGN KEY (\`leadDepartmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` ADD CONSTRAINT \`FK_84264cf5fa19fc3f2352dab4937\` FOREIGN KEY (\`taskGroupId\`) REFERENCES \`task_group\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model_change\` ADD CONSTRAINT \`FK_d4281cd06184dc45640d1d96beb\` FOREIGN KEY (\`subjectId\`) REFERENCES \`pilot_model\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD CONSTRAINT \`FK_c4eb141001486512b175b96a5d8\` FOREIGN KEY (\`leadDepartmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`task\` ADD CONSTRAINT \`FK_fc4dd25b664bd2a87608a21061b\` FOREIGN KEY (\`taskGroupId\`) REFERENCES \`task_group\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`task_change\` ADD CONSTRAINT \`FK_b35632a1ebdec732563cce6eb8f\` FOREIGN KEY (\`subjectId\`) REFERENCES \`task\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD CONSTRAINT \`FK_8f0b9141e0fb0cf32c528faca10\` FOREIGN KEY (\`pilotModelId\`) REFERENCES \`pilot_model\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`metric\` ADD CONSTRAINT \`FK_47132005653acd3fedd32461cc0\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`administrative_unit\` ADD CONSTRAINT \`FK_a0e165545d16358be33a984d9d1\` FOREIGN KEY (\`parentId\`) REFERENCES \`administrative_unit\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`unit_predecessor\` ADD CONSTRAINT \`FK_eb5e034253969d7b940bf527581\` FOREIGN KEY (\`unitId\`) REFERENCES \`administrative_unit\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`unit_predecessor\` ADD CONSTRAINT \`FK_2987b1128de6e14b74e1009481f\` FOREIGN KEY (\`predecessorId\`) REFERENCES \`administrative_unit\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`observation\` ADD CONSTRAINT \`FK_77d41320de2a3152c547daccbb3\` FOREIGN KEY (\`metricId\`) REFERENCES \`metric\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`observation\` ADD CONSTRAINT \`FK_6714d0bbb4a16474f6c2406b905\` FOREIGN KEY (\`unitId\`) REFERENCES \`administrative_unit\`(\`id\`) ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`pilot_model_supporting_department\` ADD CONSTRAINT \`FK_259677b4486b0eabeb1f297e9ad\` FOREIGN KEY (\`pilotModelId\`) REFERENCES \`pilot_model\`(\`id\`) ON DELETE CASCADE ON UPDATE CASCADE`);
    await queryRunner.query(`ALTER TABLE \`pilot_model_supporting_department\` ADD CONSTRAINT \`FK_5da797c4c9d5e37190ed6567399\` FOREIGN KEY (\`departmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE CASCADE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`pilot_model_supporting_department\` DROP FOREIGN KEY \`FK_5da797c4c9d5e37190ed6567399\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model_supporting_department\` DROP FOREIGN KEY \`FK_259677b4486b0eabeb1f297e9ad\``);
    await queryRunner.query(`ALTER TABLE \`observation\` DROP FOREIGN KEY \`FK_6714d0bbb4a16474f6c2406b905\``);
    await queryRunner.query(`ALTER TABLE \`observation\` DROP FOREIGN KEY \`FK_77d41320de2a3152c547daccbb3\``);
    await queryRunner.query(`ALTER TABLE \`unit_predecessor\` DROP FOREIGN KEY \`FK_2987b1128de6e14b74e1009481f\``);
    await queryRunner.query(`ALTER TABLE \`unit_predecessor\` DROP FOREIGN KEY \`FK_eb5e034253969d7b940bf527581\``);
    await queryRunner.query(`ALTER TABLE \`administrative_unit\` DROP FOREIGN KEY \`FK_a0e165545d16358be33a984d9d1\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP FOREIGN KEY \`FK_47132005653acd3fedd32461cc0\``);
    await queryRunner.query(`ALTER TABLE \`metric\` DROP FOREIGN KEY \`FK_8f0b9141e0fb0cf32c528faca10\``);
    await queryRunner.query(`ALTER TABLE \`task_change\` DROP FOREIGN KEY \`FK_b35632a1ebdec732563cce6eb8f\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP FOREIGN KEY \`FK_fc4dd25b664bd2a87608a21061b\``);
    await queryRunner.query(`ALTER TABLE \`task\` DROP FOREIGN KEY \`FK_c4eb141001486512b175b96a5d8\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model_change\` DROP FOREIGN KEY \`FK_d4281cd06184dc45640d1d96beb\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP FOREIGN KEY \`FK_84264cf5fa19fc3f2352dab4937\``);
    await queryRunner.query(`ALTER TABLE \`pilot_model\` DROP FOREIGN KEY \`FK_6caab460a1f3d0a45b6b91a4f93\``);
    await queryRunner.query(`ALTER TABLE \`task_group\` DROP FOREIGN KEY \`FK_995e6de047c810ba893d954ba8c\``);
    await queryRunner.query(`ALTER TABLE \`task_group\` DROP FOREIGN KEY \`FK_7f89a21370fe9528fe76b1cf985\``);
    await queryRunner.query(`ALTER TABLE \`department\` DROP FOREIGN KEY \`FK_d4b105c34f5291d13a26a252c0f\``);
    await queryRunner.query(`DROP INDEX \`IDX_5da797c4c9d5e37190ed656739\` ON \`pilot_model_supporting_department\``);
    await queryRunner.query(`DROP INDEX \`IDX_259677b4486b0eabeb1f297e9a\` ON \`pilot_model_supporting_department\``);
    await queryRunner.query(`DROP TABLE \`pilot_model_supporting_department\``);
    await queryRunner.query(`DROP INDEX \`UQ_observation_metric_unit_period\` ON \`observation\``);
    await queryRunner.query(`DROP INDEX \`IDX_03ca910e2281d5d19e07b1d369\` ON \`observation\``);
    await queryRunner.query(`DROP INDEX \`IDX_6714d0bbb4a16474f6c2406b90\` ON \`observation\``);
    await queryRunner.query(`DROP TABLE \`observation\``);
    await queryRunner.query(`DROP TABLE \`unit_predecessor\``);
    await queryRunner.query(`DROP INDEX \`UQ_administrative_unit_code_valid_from\` ON \`administrative_unit\``);
    await queryRunner.query(`DROP INDEX \`IDX_3c7029693b88d90ae698612124\` ON \`administrative_unit\``);
    await queryRunner.query(`DROP TABLE \`administrative_unit\``);
    await queryRunner.query(`DROP INDEX \`UQ_metric_code\` ON \`metric\``);
    await queryRunner.query(`DROP TABLE \`metric\``);
    await queryRunner.query(`DROP INDEX \`IDX_95733daf142ee1a20ea14e1834\` ON \`task_change\``);
    await queryRunner.query(`DROP INDEX \`IDX_98aa1bc42380b5249e7697dca0\` ON \`task_change\``);
    await queryRunner.query(`DROP TABLE \`task_change\``);
    await queryRunner.query(`DROP INDEX \`UQ_task_code\` ON \`task\``);
    await queryRunner.query(`DROP INDEX \`IDX_2fe7a278e6f08d2be55740a939\` ON \`task\``);
    await queryRunner.query(`DROP INDEX \`IDX_d6ce64ab404f3d213339b1d38c\` ON \`task\``);
    await queryRunner.query(`DROP TABLE \`task\``);
    await queryRunner.query(`DROP INDEX \`IDX_326cae51ca849c142c7a0d2e99\` ON \`pilot_model_change\``);
    await queryRunner.query(`DROP INDEX \`IDX_f44e8a2a5c6ec0d7c220c0a075\` ON \`pilot_model_change\``);
    await queryRunner.query(`DROP TABLE \`pilot_model_change\``);
    await queryRunner.query(`DROP INDEX \`UQ_pilot_model_code\` ON \`pilot_model\``);
    await queryRunner.query(`DROP INDEX \`IDX_82b18f926f67c1d1e41fa58920\` ON \`pilot_model\``);
    await queryRunner.query(`DROP INDEX \`IDX_867f38be0cf0fa55c185aeeace\` ON \`pilot_model\``);
    await queryRunner.query(`DROP TABLE \`pilot_model\``);
    await queryRunner.query(`DROP INDEX \`UQ_task_group_code\` ON \`task_group\``);
    await queryRunner.query(`DROP TABLE \`task_group\``);
    await queryRunner.query(`DROP INDEX \`UQ_program_code\` ON \`program\``);
    await queryRunner.query(`DROP TABLE \`program\``);
    await queryRunner.query(`DROP INDEX \`UQ_department_code\` ON \`department\``);
    await queryRunner.query(`DROP TABLE \`department\``);
  }
}
