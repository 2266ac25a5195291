import type {
  ApolloServerPlugin,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextExecutionDidStart,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestExecutionListener,
  GraphQLRequestListener,
} from '@apollo/server';

/** What a concern does while an operation executes. */
export interface ExecutionHooks<Context extends object> {
  /** Called for each field resolved (Apollo then instruments every resolver of the operation: return it only when needed). */
  willResolveField?: GraphQLRequestExecutionListener<Context>['willResolveField'];
  executionDidEnd?(): void;
}

/**
 * What one concern of the hub (operation metrics, query limits, audit) does during one GraphQL request: the hooks
 * of an Apollo request listener, started synchronously, each returning a promise only when it has to wait.
 */
export interface RequestHooks<Context extends object> {
  didResolveOperation?(request: GraphQLRequestContextDidResolveOperation<Context>): void | Promise<void>;
  executionDidStart?(request: GraphQLRequestContextExecutionDidStart<Context>): ExecutionHooks<Context> | void;
  willSendResponse?(request: GraphQLRequestContextWillSendResponse<Context>): void | Promise<void>;
}

/** Starts a concern's hooks for one request. */
export type RequestConcern<Context extends object> = () => RequestHooks<Context>;

function combinedExecution<Context extends object>(started: ExecutionHooks<Context>[]): GraphQLRequestExecutionListener<Context> | undefined {
  if (started.length === 0) return undefined;
  const listener: GraphQLRequestExecutionListener<Context> = {};
  const fieldHooks = started.filter((hooks) => hooks.willResolveField);
  if (fieldHooks.length > 0) {
    listener.willResolveField = (field) => {
      const ends = fieldHooks.map((hooks) => hooks.willResolveField!(field));
      return (error, result) => ends.forEach((end) => end?.(error, result));
    };
  }
  const ending = started.filter((hooks) => hooks.executionDidEnd);
  if (ending.length > 0) {
    listener.executionDidEnd = async () => ending.forEach((hooks) => hooks.executionDidEnd!());
  }
  return listener;
}

/**
 * One Apollo plugin running the hooks of several concerns, in the order given. Apollo calls each plugin's hooks
 * through async functions collected with `Promise.all`, on every request and for every plugin whether or not it
 * has anything to do: one plugin instead of one per concern saves a dozen promises per request.
 */
export function requestHooksPlugin<Context extends object>(concerns: RequestConcern<Context>[]): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      const started = concerns.map((start) => start());
      const listener: GraphQLRequestListener<Context> = {};
      const resolving = started.filter((hooks) => hooks.didResolveOperation);
      if (resolving.length > 0) {
        listener.didResolveOperation = async (request) => {
          for (const hooks of resolving) {
            const waiting = hooks.didResolveOperation!(request);
            if (waiting) await waiting;
          }
        };
      }
      const executing = started.filter((hooks) => hooks.executionDidStart);
      if (executing.length > 0) {
        listener.executionDidStart = async (request) =>
          combinedExecution(executing.map((hooks) => hooks.executionDidStart!(request)).filter((hooks): hooks is ExecutionHooks<Context> => hooks !== undefined));
      }
      const sending = started.filter((hooks) => hooks.willSendResponse);
      if (sending.length > 0) {
        listener.willSendResponse = async (request) => {
          for (const hooks of sending) {
            const waiting = hooks.willSendResponse!(request);
            if (waiting) await waiting;
          }
        };
      }
      return listener;
    },
  };
}
