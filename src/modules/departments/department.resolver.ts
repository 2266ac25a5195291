import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, Info, InputType, Field, Query, Resolver, Root } from 'type-graphql';
import { SortDirection } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { connectionType, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import type { HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { ALL_ROLES } from '../../security/access';
import { Department } from './department.entity';
import { departmentsQuery, requireDepartment } from './department.service';

const DepartmentConnection = connectionType(Department, 'Department');

@InputType({ description: 'Filters for departments; all given filters must match.' })
class DepartmentFilter {
  @Field(() => CalendarDateScalar, { nullable: true, description: 'Only departments that existed on this date.' })
  asOf?: string | null;
}

@Resolver(() => Department)
export class DepartmentResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Department, { nullable: true, description: 'A department by code, e.g. SO_YT.' })
  async department(@Arg('code', { description: 'Code of the department, e.g. SO_YT (Sở Y tế, Department of Health).' }) code: string, @Ctx() context: HubContext): Promise<Department> {
    return requireDepartment(context.dataSource, code);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => DepartmentConnection, { complexity: connectionCost, description: 'Departments by code.' })
  departments(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => DepartmentFilter, { nullable: true, description: 'Only departments matching every given filter; null: all, past ones included.' }) filter?: DepartmentFilter,
  ): Promise<Connection<Department>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => departmentsQuery(context.dataSource, filter?.asOf),
      sort: [{ property: 'code', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => Department, { nullable: true, description: 'The department that took over its work.' })
  successor(@Root() department: Department, @Ctx() context: HubContext): Promise<Department | null> {
    if (department.successorId == null) return Promise.resolve(null);
    return context.loaders.departments.load(department.successorId);
  }

  @FieldResolver(() => [PilotModel], { complexity: listCost, description: 'Pilot models this department leads, by code.' })
  pilotModels(@Root() department: Department, @Ctx() context: HubContext): Promise<PilotModel[]> {
    return context.loaders.pilotModelsByLeadDepartment.load(department.id);
  }
}
