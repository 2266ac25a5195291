import type http from 'node:http';
import type { RequestHandler } from 'express';

export interface ConnectionLifecycle {
  /** Mounted before any other route. */
  middleware: RequestHandler;
  /** From now on every response carries `Connection: close`, those in flight included when not yet sent. */
  closing(): void;
}

/**
 * Shutdown: responses sent from the moment {@link ConnectionLifecycle.closing} is called carry `Connection: close`,
 * so keep-alive clients open a new connection (refused once the listener is closed) instead of reusing one the
 * server is about to end. A request read from a connection the server has already ended (a client sent it while
 * the drain was closing that connection) can never be answered: it is dropped before it is logged or executed,
 * so a request the server took is always answered.
 */
export function connectionLifecycle(): ConnectionLifecycle {
  let stopping = false;
  const inFlight = new Set<http.ServerResponse>();
  return {
    middleware: (request, response, next) => {
      if (request.socket.writableEnded || request.socket.destroyed) {
        request.socket.destroy();
        return;
      }
      if (stopping) {
        response.setHeader('connection', 'close');
      } else {
        inFlight.add(response);
        response.once('close', () => inFlight.delete(response));
      }
      next();
    },
    closing() {
      stopping = true;
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
    },
  };
}
