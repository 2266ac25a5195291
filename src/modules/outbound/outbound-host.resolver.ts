import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { listCost } from '../../graphql/limits';
import type { HubContext } from '../../graphql/context';
import { ADMIN_ONLY } from '../../security/access';
import { OutboundHost } from './outbound-host.entity';
import { addOutboundHost, removeOutboundHost } from './outbound-host.service';
import { OutboundHostInput } from './outbound-host.types';

@Resolver(() => OutboundHost)
export class OutboundHostResolver {
  @Authorized(...ADMIN_ONLY)
  @Query(() => [OutboundHost], { complexity: listCost,
    description: 'The outbound allowlist: hosts connectors may reach (besides CONNECTOR_ALLOWED_HOSTS), by pattern.',
  })
  outboundHosts(@Ctx() context: HubContext): Promise<OutboundHost[]> {
    return context.dataSource.getRepository(OutboundHost).find({ order: { pattern: 'ASC' } });
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => OutboundHost, { description: 'Allows connectors to reach a host.' })
  addOutboundHost(@Arg('input', () => OutboundHostInput) input: OutboundHostInput, @Ctx() context: HubContext): Promise<OutboundHost> {
    return addOutboundHost(context.dataSource, input, context.actor);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Boolean, { description: 'Removes a host from the allowlist; runs that start afterwards cannot reach it.' })
  removeOutboundHost(@Arg('id', () => ID) id: string, @Ctx() context: HubContext): Promise<boolean> {
    return removeOutboundHost(context.dataSource, id);
  }
}
