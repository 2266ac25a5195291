import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { listCost } from '../../graphql/limits';
import { scopeOf, type HubContext } from '../../graphql/context';
import { ADMIN_ONLY } from '../../security/access';
import { Department } from '../departments/department.entity';
import { OutboundHost } from './outbound-host.entity';
import { addOutboundHost, listOutboundHosts, outboundHostDepartments, removeOutboundHost, setOutboundHostDepartments } from './outbound-host.service';
import { OutboundHostInput } from './outbound-host.types';

@Resolver(() => OutboundHost)
export class OutboundHostResolver {
  @Authorized(...ADMIN_ONLY)
  @Query(() => [OutboundHost], { complexity: listCost,
    description: 'The outbound allowlist: hosts connectors may reach (besides CONNECTOR_ALLOWED_HOSTS), by pattern.',
  })
  outboundHosts(@Ctx() context: HubContext): Promise<OutboundHost[]> {
    return listOutboundHosts(context.dataSource);
  }

  @Authorized(...ADMIN_ONLY)
  @FieldResolver(() => [Department], {
    complexity: listCost,
    description: 'Departments whose connectors may use this entry, by code; empty: only connectors an administrator configured.',
  })
  departments(@Root() entry: OutboundHost, @Ctx() context: HubContext): Promise<Department[]> {
    return outboundHostDepartments(scopeOf(context), entry.id);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => OutboundHost, { description: 'Allows connectors to reach a host: those of `departments`, or with none only connectors an administrator configured.' })
  addOutboundHost(@Arg('input', () => OutboundHostInput, { description: 'The host pattern, and who may use it.' }) input: OutboundHostInput, @Ctx() context: HubContext): Promise<OutboundHost> {
    return addOutboundHost(context.dataSource, input, context.actor);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => OutboundHost, {
    description: 'Sets the departments whose connectors may use an allowlist entry; [] leaves it to connectors an administrator configured.',
  })
  setOutboundHostDepartments(
    @Arg('id', () => ID, { description: 'Global id of the allowlist entry, or its databaseId.' }) id: string,
    @Arg('departments', () => [String], { description: 'Department codes, e.g. ["SO_YT"]; replaces the current list.' }) departments: string[],
    @Ctx() context: HubContext,
  ): Promise<OutboundHost> {
    return setOutboundHostDepartments(context.dataSource, id, departments);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Boolean, { description: 'Removes a host from the allowlist; runs that start afterwards cannot reach it.' })
  removeOutboundHost(@Arg('id', () => ID, { description: 'Global id of the allowlist entry, or its databaseId.' }) id: string, @Ctx() context: HubContext): Promise<boolean> {
    return removeOutboundHost(context.dataSource, id);
  }
}
