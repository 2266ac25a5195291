import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { PredecessorShare, UnitLevel } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { Node } from '../../graphql/node-id';

/**
 * An administrative unit of one edition of the map. GSO codes are reused when units merge, so a unit is
 * identified by (code, validFrom), never by its code alone.
 */
@ObjectType({ implements: Node, description: 'A province, district or commune as it existed between validFrom and validTo.' })
@Entity('administrative_unit')
@Index('UQ_administrative_unit_code_valid_from', ['code', 'validFrom'], { unique: true })
@Index(['level', 'validFrom'])
export class AdministrativeUnit {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'General Statistics Office code (reused across editions).' })
  @Column({ type: 'varchar', length: 10 })
  code: string;

  @Field({ description: 'Official name, type included, e.g. Thành phố Vinh, Phường Đông Vĩnh.' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Vietnamese unit type as written in official lists, e.g. Phường, Xã, Huyện.' })
  @Column({ type: 'varchar', length: 50 })
  type: string;

  @Field(() => UnitLevel, { description: 'Tier: PROVINCE, DISTRICT or COMMUNE.' })
  @Column({ type: 'varchar', length: 16 })
  level: UnitLevel;

  @Column({ type: 'int', nullable: true })
  parentId: number | null;

  @ManyToOne(() => AdministrativeUnit, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parentId' })
  parent?: AdministrativeUnit | null;

  @Field(() => CalendarDateScalar, { description: 'First day the unit is in force.' })
  @Column({ type: 'date' })
  validFrom: string;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day the unit is no longer in force (exclusive); null = in force.' })
  @Column({ type: 'date', nullable: true })
  validTo: string | null;
}

/** Which old units a new unit was formed from, and whether it took all of each. */
@Entity('unit_predecessor')
export class UnitPredecessor {
  @PrimaryColumn({ type: 'int' })
  unitId: number;

  @PrimaryColumn({ type: 'int' })
  predecessorId: number;

  @ManyToOne(() => AdministrativeUnit, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'unitId' })
  unit?: AdministrativeUnit;

  @ManyToOne(() => AdministrativeUnit, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'predecessorId' })
  predecessor?: AdministrativeUnit;

  @Column({ type: 'varchar', length: 16 })
  share: PredecessorShare;
}
