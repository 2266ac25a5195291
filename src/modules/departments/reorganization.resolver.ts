import { Arg, Authorized, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { CalendarDateScalar } from '../../common/scalars';
import { scopeOf, type HubContext } from '../../graphql/context';
import { listCost } from '../../graphql/limits';
import { ADMIN_ONLY } from '../../security/access';
import { ApiKey } from '../../security/api-key.entity';
import { registerAuditTarget } from '../../security/audit-plugin';
import { Department } from './department.entity';
import { createDepartment, mergeDepartments, splitDepartment, type MovedCounts, type ReorganizationResult } from './reorganization.service';
import { DepartmentReorganization } from './reorganization.entity';

const VALIDATE = { validate: { forbidUnknownValues: false } } as const;

@InputType({ description: 'A new department (đơn vị).' })
class DepartmentInput {
  @Field({ description: 'Unique, unchangeable code, e.g. SO_NNMT.' })
  code: string;

  @Field({ description: 'Name in English.' })
  name: string;

  @Field({ description: 'Name in Vietnamese.' })
  nameVi: string;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day it exists; null: long-standing.' })
  validFrom?: string | null;

  @Field({ description: 'Why it is created (e.g. the decision establishing it); kept in the audit log.' })
  note: string;
}

@InputType({ description: 'Names of a successor department a reorganization creates (valid from the effective date).' })
class NewDepartmentInput {
  @Field({ description: 'Name in English.' })
  name: string;

  @Field({ description: 'Name in Vietnamese.' })
  nameVi: string;
}

@InputType({ description: 'Departments merged into one from an effective date.' })
class MergeDepartmentsInput {
  @Field(() => [String], { description: 'Codes of the departments merged away (at least one).' })
  departments: string[];

  @Field({ description: 'Code of the successor: an existing department in force on the effective date, or a new one (give `create`).' })
  into: string;

  @Field(() => NewDepartmentInput, { nullable: true, description: 'Creates `into` with these names, valid from the effective date; null: `into` exists.' })
  create?: NewDepartmentInput | null;

  @Field(() => CalendarDateScalar, { description: 'First day the successor leads the work (not after today); the predecessors’ validTo.' })
  effectiveDate: string;

  @Field({ description: 'Why (e.g. the decision merging them); kept in the history of every moved item.' })
  note: string;
}

@InputType({ description: 'One successor of a split and the items of the split department it takes over.' })
class SplitPartInput {
  @Field({ description: 'Code of the successor: an existing department in force on the effective date, or a new one (give `create`).' })
  into: string;

  @Field(() => NewDepartmentInput, { nullable: true, description: 'Creates `into` with these names, valid from the effective date; null: `into` exists.' })
  create?: NewDepartmentInput | null;

  @Field(() => [String], { nullable: true, description: 'Codes of the task groups it leads from the effective date.' })
  taskGroups?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Codes of the tasks it leads from the effective date (open, completed and retired alike).' })
  tasks?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Codes of the pilot models the split department leads or supports: this part leads or supports them.' })
  pilotModels?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Codes of the metrics it reports from the effective date.' })
  metrics?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Global ids (or databaseIds) of the connectors it runs from the effective date; a connector goes where its mapped metrics go.' })
  connectors?: string[] | null;
}

@InputType({ description: 'A department split between several from an effective date; every item it holds is assigned to exactly one part.' })
class SplitDepartmentInput {
  @Field({ description: 'Code of the department split.' })
  department: string;

  @Field(() => CalendarDateScalar, { description: 'First day the successors lead the work (not after today); the department’s validTo.' })
  effectiveDate: string;

  @Field({ description: 'Why (e.g. the decision); kept in the history of every moved item.' })
  note: string;

  @Field(() => [SplitPartInput], { description: 'The successors (at least two) and what each takes over; the first is recorded as `successor`.' })
  parts: SplitPartInput[];
}

@ObjectType({ description: 'How many items a reorganization moved, by kind.' })
class MovedItems implements MovedCounts {
  @Field(() => Int, { description: 'Task groups whose lead department changed.' })
  taskGroups: number;

  @Field(() => Int, { description: 'Tasks whose lead department changed.' })
  tasks: number;

  @Field(() => Int, { description: 'Pilot models whose lead department changed.' })
  pilotModels: number;

  @Field(() => Int, { description: 'Supporting links of pilot models moved to a successor (or dropped where the successor leads the model).' })
  supportedPilotModels: number;

  @Field(() => Int, { description: 'Metrics whose reporting department changed.' })
  metrics: number;

  @Field(() => Int, { description: 'Connectors (not deleted) now run by a successor.' })
  connectors: number;
}

@ObjectType({ description: 'What a merge or split did.' })
class Reorganization implements ReorganizationResult {
  @Field(() => DepartmentReorganization, { description: 'The reorganization as recorded.' })
  reorganization: DepartmentReorganization;

  @Field(() => [Department], { complexity: listCost, description: 'The departments that ended on the effective date.' })
  predecessors: Department[];

  @Field(() => [Department], { complexity: listCost, description: 'The departments that lead their work from the effective date.' })
  successors: Department[];

  @Field(() => MovedItems, { description: 'The items moved, by kind.' })
  moved: MovedItems;

  @Field(() => [ApiKey], {
    complexity: listCost,
    description: 'Active DEPARTMENT_IT keys scoped to a predecessor: they keep reading its history, gain no successor and can change nothing it held; issue keys for the successors.',
  })
  apiKeysToReview: ApiKey[];
}

const reorganized = (args: Record<string, unknown>, department: unknown) => {
  const input = (args.input ?? {}) as { effectiveDate?: unknown; note?: unknown; departments?: unknown; parts?: Array<{ into?: unknown }> };
  return {
    target: { type: 'department', id: typeof department === 'string' ? department : null },
    details: { effectiveDate: input.effectiveDate, note: input.note, departments: input.departments, parts: input.parts?.map((part) => part?.into) },
  };
};
registerAuditTarget('mergeDepartments', (args) => reorganized(args, (args.input as { into?: unknown } | undefined)?.into));
registerAuditTarget('splitDepartment', (args) => reorganized(args, (args.input as { department?: unknown } | undefined)?.department));
registerAuditTarget('createDepartment', (args, result) => ({
  target: { type: 'department', id: (result as { code?: string } | null)?.code ?? ((args.input as { code?: string } | undefined)?.code ?? null) },
  details: { note: (args.input as { note?: unknown } | undefined)?.note },
}));

/** Creating and reorganizing departments (ADMIN). */
@Resolver()
export class ReorganizationResolver {
  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Department, { description: 'Creates a department; its code is unique and never changes.' })
  createDepartment(@Arg('input', () => DepartmentInput, { ...VALIDATE, description: 'The department.' }) input: DepartmentInput, @Ctx() context: HubContext): Promise<Department> {
    return createDepartment(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Reorganization, {
    description: 'Merges departments into one from an effective date: their task groups, tasks, pilot models, metrics and connectors move to it; reports before the date keep them where they were.',
  })
  mergeDepartments(@Arg('input', () => MergeDepartmentsInput, { ...VALIDATE, description: 'The merge.' }) input: MergeDepartmentsInput, @Ctx() context: HubContext): Promise<ReorganizationResult> {
    return mergeDepartments(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Reorganization, {
    description: 'Splits a department between several from an effective date: each of its items moves to the part it is assigned to (every item exactly once).',
  })
  splitDepartment(@Arg('input', () => SplitDepartmentInput, { ...VALIDATE, description: 'The split.' }) input: SplitDepartmentInput, @Ctx() context: HubContext): Promise<ReorganizationResult> {
    return splitDepartment(scopeOf(context), input);
  }
}

@Resolver(() => Department)
export class DepartmentSuccessionResolver {
  @FieldResolver(() => [Department], { complexity: listCost, description: 'Departments that took over its work: those of a recorded merge or split (several for a split, in the order recorded), else its `successor`.' })
  successors(@Root() department: Department, @Ctx() context: HubContext): Promise<Department[]> {
    return context.loaders.departmentSuccessors.load(department.id);
  }

  @FieldResolver(() => [Department], { complexity: listCost, description: 'Departments whose work it took over (in a recorded merge or split, or as their `successor`).' })
  predecessors(@Root() department: Department, @Ctx() context: HubContext): Promise<Department[]> {
    return context.loaders.departmentPredecessors.load(department.id);
  }
}
