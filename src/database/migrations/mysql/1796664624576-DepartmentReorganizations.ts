import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Department reorganizations: merges and splits, their predecessor → successor links, and every item moved (who led what when). */
export class DepartmentReorganizations1796664624576 implements MigrationInterface {
  name = 'DepartmentReorganizations1796664624576';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`department_reorganization\` (\`id\` int NOT NULL AUTO_INCREMENT, \`kind\` varchar(16) NOT NULL, \`effectiveOn\` date NOT NULL, \`note\` text NOT NULL, \`author\` varchar(200) NOT NULL, \`recordedAt\` datetime NOT NULL, INDEX \`IDX_fe9755f6c63a5d8ac7c74eeae0\` (\`effectiveOn\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`department_succession\` (\`id\` int NOT NULL AUTO_INCREMENT, \`reorganizationId\` int NOT NULL, \`predecessorId\` int NOT NULL, \`successorId\` int NOT NULL, INDEX \`IDX_2462a8a53d2f4ec0234640c027\` (\`successorId\`), UNIQUE INDEX \`UQ_department_succession\` (\`predecessorId\`, \`successorId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`CREATE TABLE \`department_move\` (\`id\` int NOT NULL AUTO_INCREMENT, \`reorganizationId\` int NOT NULL, \`subjectType\` varchar(24) NOT NULL, \`subjectId\` int NOT NULL, \`fromDepartmentId\` int NOT NULL, \`toDepartmentId\` int NOT NULL, \`effectiveOn\` date NOT NULL, \`effectiveAt\` datetime NOT NULL, INDEX \`IDX_54d237b7f071e441294fa5a624\` (\`effectiveOn\`), INDEX \`IDX_962975fea10cb55792c5c6036c\` (\`subjectType\`, \`subjectId\`, \`effectiveAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
    await queryRunner.query(`ALTER TABLE \`department_succession\` ADD CONSTRAINT \`FK_88e86caa186165fa1ea92876ca4\` FOREIGN KEY (\`reorganizationId\`) REFERENCES \`department_reorganization\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`department_succession\` ADD CONSTRAINT \`FK_5a116658f6d2ebc9bd256c99542\` FOREIGN KEY (\`predecessorId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`department_succession\` ADD CONSTRAINT \`FK_2462a8a53d2f4ec0234640c027a\` FOREIGN KEY (\`successorId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`department_move\` ADD CONSTRAINT \`FK_24f3b9309b31e775a03449d1063\` FOREIGN KEY (\`reorganizationId\`) REFERENCES \`department_reorganization\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`department_move\` ADD CONSTRAINT \`FK_f66661aef4374d8b802b60dd9f4\` FOREIGN KEY (\`fromDepartmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`department_move\` ADD CONSTRAINT \`FK_abea06fd72375061cbf1bb2a7dd\` FOREIGN KEY (\`toDepartmentId\`) REFERENCES \`department\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`department_move\` DROP FOREIGN KEY \`FK_abea06fd72375061cbf1bb2a7dd\``);
    await queryRunner.query(`ALTER TABLE \`department_move\` DROP FOREIGN KEY \`FK_f66661aef4374d8b802b60dd9f4\``);
    await queryRunner.query(`ALTER TABLE \`department_move\` DROP FOREIGN KEY \`FK_24f3b9309b31e775a03449d1063\``);
    await queryRunner.query(`ALTER TABLE \`department_succession\` DROP FOREIGN KEY \`FK_2462a8a53d2f4ec0234640c027a\``);
    await queryRunner.query(`ALTER TABLE \`department_succession\` DROP FOREIGN KEY \`FK_5a116658f6d2ebc9bd256c99542\``);
    await queryRunner.query(`ALTER TABLE \`department_succession\` DROP FOREIGN KEY \`FK_88e86caa186165fa1ea92876ca4\``);
    await queryRunner.query(`DROP INDEX \`IDX_962975fea10cb55792c5c6036c\` ON \`department_move\``);
    await queryRunner.query(`DROP INDEX \`IDX_54d237b7f071e441294fa5a624\` ON \`department_move\``);
    await queryRunner.query(`DROP TABLE \`department_move\``);
    await queryRunner.query(`DROP INDEX \`UQ_department_succession\` ON \`department_succession\``);
    await queryRunner.query(`DROP INDEX \`IDX_2462a8a53d2f4ec0234640c027\` ON \`department_succession\``);
    await queryRunner.query(`DROP TABLE \`department_succession\``);
    await queryRunner.query(`DROP INDEX \`IDX_fe9755f6c63a5d8ac7c74eeae0\` ON \`department_reorganization\``);
    await queryRunner.query(`DROP TABLE \`department_reorganization\``);
  }
}
