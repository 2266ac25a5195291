import type { DataSource } from 'typeorm';
import { todayIn } from '../common/clock';
import type { RequestScope } from '../common/request-scope';
import type { HubConfig } from '../config';
import type { ConnectorService } from '../modules/connectors/connector.service';
import type { ApiKeyService } from '../security/api-key.service';
import type { Principal } from '../security/principal';
import { RequestLoaders } from './loaders';

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
  /** The request's DataLoaders, one set per request (built on first use by {@link requestContextValue}). */
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

/** Where a context made by {@link requestContextValue} keeps its loaders once built. */
interface LoaderHolder {
  built?: RequestLoaders;
}

/**
 * The prototype of request contexts: `loaders` is a getter here, not an own property, because Apollo copies
 * each context (`Object.assign` onto an object of the same prototype) before running an operation, and that copy
 * would call an own getter, building the loaders of every request. The holder object is shared by the copies.
 */
const lazyLoaders = Object.defineProperty({}, 'loaders', {
  get(this: { dataSource: DataSource; loaderHolder: LoaderHolder }): RequestLoaders {
    return (this.loaderHolder.built ??= new RequestLoaders(this.dataSource));
  },
});

/**
 * The context of one request, its DataLoaders built when a resolver first asks for them: most operations (and
 * every `{ __typename }`) read none, and building the two dozen loaders was a cost of every request.
 */
export function requestContextValue(fields: Omit<HubContext, 'loaders'>): HubContext {
  return Object.assign(Object.create(lazyLoaders) as HubContext, fields, { loaderHolder: {} satisfies LoaderHolder });
}

const scopes = new WeakMap<HubContext, RequestScope>();

/**
 * Forgets the loaders and the request scope of a context: a subscription keeps its context for as long as it is
 * open, and each event it delivers reads the database afresh (its loaders would otherwise answer from the first event).
 */
export function freshRequestState(context: HubContext): void {
  const holder = (context as HubContext & { loaderHolder?: LoaderHolder }).loaderHolder;
  if (holder) holder.built = undefined;
  scopes.delete(context);
}

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
