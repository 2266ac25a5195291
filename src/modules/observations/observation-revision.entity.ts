import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ConnectorRun } from '../connectors/connector-run.entity';
import { Observation } from './observation.entity';
import { Node } from '../../graphql/node-id';

/** A value an observation held before it was replaced: history is never lost. */
@ObjectType({ implements: Node, description: 'An earlier value of an observation and when, by whom and by which run it was replaced.' })
@Entity('observation_revision')
@Index(['observationId', 'revisedAt'])
export class ObservationRevision {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  observationId: number;

  @ManyToOne(() => Observation, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'observationId' })
  observation?: Observation;

  @Field(() => Float, { description: 'The earlier value.' })
  @Column({ type: 'double' })
  value: number;

  @Field(() => Float, { nullable: true, description: 'The earlier numerator (RATE metrics); null otherwise.' })
  @Column({ type: 'double', nullable: true })
  numerator: number | null;

  @Field(() => Float, { nullable: true, description: 'The earlier denominator (RATE metrics); null otherwise.' })
  @Column({ type: 'double', nullable: true })
  denominator: number | null;

  @Field(() => Date, { description: 'When the earlier value had been recorded.' })
  @Column({ type: 'datetime' })
  recordedAt: Date;

  @Field({ description: 'Where the earlier value had come from.' })
  @Column({ type: 'varchar', length: 100 })
  source: string;

  @Field(() => ID, { nullable: true, description: 'The connector run that had written the earlier value; null for seeded values.' })
  @Column({ type: 'int', nullable: true })
  runId: number | null;

  @Field(() => Int, { nullable: true, description: 'Mapping version of the connector that had written the earlier value; null when no connector mapping produced it (seeded values).' })
  @Column({ type: 'int', nullable: true })
  mappingVersion: number | null;

  @Field(() => Date, { description: 'When the value was replaced.' })
  @Column({ type: 'datetime' })
  revisedAt: Date;

  @Field({ description: 'Who replaced it (a key name, or "scheduler").' })
  @Column({ type: 'varchar', length: 200 })
  revisedBy: string;

  @Field(() => ID, { nullable: true, description: 'The connector run whose value replaced it; null when no run did.' })
  @Column({ type: 'int', nullable: true })
  revisedByRunId: number | null;

  @ManyToOne(() => ConnectorRun, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'revisedByRunId' })
  revisedByRun?: ConnectorRun | null;
}
