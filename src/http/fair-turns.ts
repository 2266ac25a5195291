import type { RequestHandler } from 'express';

/**
 * Starts requests one per event-loop turn, in arrival order.
 *
 * Node accepts at most one new connection per event-loop turn, and a turn runs every request whose bytes were read
 * in it. With the embedded database every query runs on the main thread, so fifteen busy keep-alive clients make a
 * turn last a second or more, and a new client (a dashboard opening, a balancer's fresh health-check connection)
 * waits in the kernel's accept queue for as many seconds as there are connections ahead of it. Handing each request
 * its own turn keeps a turn to one request's work, so a new connection is accepted after at most one request.
 * The cost is one `setImmediate` per request.
 */
export function fairTurns(): RequestHandler {
  const waiting: Array<() => void> = [];
  let scheduled = false;
  const startNext = () => {
    const next = waiting.shift();
    scheduled = waiting.length > 0;
    // Scheduled from within a check phase, the following immediate runs in the next turn, after the poll phase.
    if (scheduled) setImmediate(startNext);
    next?.();
  };
  return (_request, _response, next) => {
    waiting.push(next);
    if (!scheduled) {
      scheduled = true;
      setImmediate(startNext);
    }
  };
}
