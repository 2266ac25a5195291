import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../../graphql/node-id';

@ObjectType({ implements: Node, description: 'A programme such as Project 06 (DA06), made of task groups and pilot models.' })
@Entity('program')
export class Program {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Stable code of the programme, e.g. DA06.' })
  @Index('UQ_program_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code: string;

  @Field({ description: 'Name in English.' })
  @Column({ type: 'varchar', length: 300 })
  name: string;

  @Field({ description: 'Name in Vietnamese (tên đề án).' })
  @Column({ type: 'varchar', length: 300 })
  nameVi: string;

  @Field({ description: 'The decision that established the programme.' })
  @Column({ type: 'varchar', length: 200 })
  decision: string;

  @Field(() => Int, { description: 'Year of the plan the tasks belong to.' })
  @Column({ type: 'int' })
  planYear: number;
}
