import type { GraphQLResolveInfo } from 'graphql';
import { connectionCost } from '../graphql/limits';
import { GraphQLJSON } from 'graphql-scalars';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, InputType, Info, Query, Resolver, Root } from 'type-graphql';
import { SortDirection } from '../common/enums';
import { connectionType, PageArgs, rootConnection, type Connection } from '../graphql/connection';
import type { HubContext } from '../graphql/context';
import { ADMIN_ONLY } from './access';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import { auditEventsQuery } from './audit';

@InputType({ description: 'Audit events matching every field given.' })
export class AuditEventFilter {
  @Field(() => String, { nullable: true, description: 'Exactly this caller, e.g. `key:12`.' })
  actorSubject?: string | null;

  @Field(() => String, { nullable: true, description: 'Exactly this action, e.g. `registerConnector`.' })
  action?: string | null;

  @Field(() => String, { nullable: true, description: 'Exactly this kind of object, e.g. `connector`, `pilotModel`.' })
  targetType?: string | null;

  @Field(() => String, { nullable: true, description: 'With or without targetType.' })
  targetId?: string | null;

  @Field(() => AuditOutcome, { nullable: true, description: 'Only events with this outcome.' })
  outcome?: AuditOutcome | null;

  @Field(() => Date, { nullable: true, description: 'Recorded at or after this instant.' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Recorded before this instant (exclusive).' })
  to?: Date | null;
}

const AuditEventConnection = connectionType(AuditEvent, 'AuditEvent');

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Authorized(...ADMIN_ONLY)
  @Query(() => AuditEventConnection, { complexity: connectionCost, description: 'The audit log, newest first (administrators only).' })
  auditEvents(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AuditEventFilter, { nullable: true, description: 'Only events matching every given field; null: all.' }) filter?: AuditEventFilter | null,
  ): Promise<Connection<AuditEvent>> {
    return rootConnection({
      context,
      info,
      page,
      query: () => auditEventsQuery(context.dataSource, filter),
      sort: [{ property: 'id', direction: SortDirection.DESC }],
      // A log that only grows: its first page is not counted by a window over every event.
      unbounded: true,
    });
  }

  @FieldResolver(() => GraphQLJSON, { nullable: true, description: 'Arguments (credentials redacted) and what the action produced.' })
  details(@Root() event: AuditEvent): unknown {
    return event.details === null ? null : (JSON.parse(event.details) as unknown);
  }
}
