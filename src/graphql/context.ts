import type { DataSource } from 'typeorm';
import { todayIn } from '../common/clock';
import type { RequestScope } from '../common/request-scope';
import type { HubConfig } from '../config';
import type { ConnectorService } from '../modules/connectors/connector.service';
import type { ApiKeyService } from '../security/api-key.service';
import type { Principal } from '../security/principal';
import type { RequestLoaders } from './loaders';

export { RequestLoaders, type EntityClass } from './loaders';

/** Connector operations of this process (absent where connectors are not started). */
export interface ConnectorOperations {
  service: ConnectorService;
  /** Next scheduled fire of a connector, or null. */
  nextRunAt(connectorId: number): Date | null;
}

export interface HubContext {
  dataSource: DataSource;
  connectors?: ConnectorOperations;
  config: HubConfig;
  /** The request's DataLoaders, built once per request by the context factory. */
  loaders: RequestLoaders;
  /** The authenticated caller; every authorization decision reads it. */
  principal: Principal;
  /** Who is calling, recorded as the author of catalogue changes (the principal's name). */
  actor: string;
  /** Id of the HTTP request, carried into logs and the runs it starts. */
  requestId?: string;
  /** API key management (createApiKey, revokeApiKey). */
  apiKeys: ApiKeyService;
  /** Network address of the caller, recorded in the audit log. */
  clientIp?: string;
}

const scopes = new WeakMap<HubContext, RequestScope>();

/**
 * The request scope services take, made from the context on first use and kept for the request: today is
 * read once, so every date of a response is judged on the same day.
 */
export function scopeOf(context: HubContext): RequestScope {
  let scope = scopes.get(context);
  if (!scope) {
    scope = {
      dataSource: context.dataSource,
      principal: context.principal,
      actor: context.actor,
      loaders: context.loaders,
      today: todayIn(context.config.timeZone),
      timeZone: context.config.timeZone,
    };
    scopes.set(context, scope);
  }
  return scope;
}
