import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { stdSerializers, type Level, type Logger } from 'pino';
// Its declarations type `request.id` (set here, as pino-http set it) everywhere.
import type { ReqId } from 'pino-http';

/** How {@link requestLog} names, levels and writes the line of each request. */
export interface RequestLogOptions {
  logger: Logger;
  /** The request's id (kept on `request.id`); called once per request. */
  genReqId: (request: Request, response: Response) => string;
  /** Requests that write no line (health checks). */
  ignore?: (request: Request) => boolean;
  /** The level of a finished request's line, or 'silent' for none. */
  customLogLevel: (request: Request, response: Response, error?: Error) => Level | 'silent';
  /** Applied after pino's standard request and error serializers, as pino-http applies them. */
  serializers: { req: (request: never) => unknown; err: (error: never) => unknown };
}

/**
 * One line per finished request, as pino-http writes it (`request completed` with `req`, `res` and `responseTime`;
 * `request errored` with `err` as well for a failed response or a status of 500 or more), through the same
 * serializers and redaction. Unlike pino-http it builds no logger per request and serializes the request only
 * when its line is written: at LOG_LEVEL=warn a successful request costs an id and a listener.
 */
export function requestLog(options: RequestLogOptions): RequestHandler {
  const logger = options.logger.child(
    {},
    {
      serializers: {
        req: stdSerializers.wrapRequestSerializer(options.serializers.req as Parameters<typeof stdSerializers.wrapRequestSerializer>[0]),
        res: stdSerializers.res,
        err: stdSerializers.wrapErrorSerializer(options.serializers.err as Parameters<typeof stdSerializers.wrapErrorSerializer>[0]),
      },
    },
  );
  return (request: Request, response: Response, next: NextFunction) => {
    request.id ??= options.genReqId(request, response) satisfies ReqId;
    if (options.ignore?.(request)) {
      next();
      return;
    }
    const started = Date.now();
    const finished = (error?: Error) => {
      response.removeListener('close', finished);
      response.removeListener('finish', finished);
      response.removeListener('error', finished);
      const level = options.customLogLevel(request, response, error);
      if (level === 'silent' || !logger.isLevelEnabled(level)) return;
      const responseTime = Date.now() - started;
      if (error || response.statusCode >= 500) {
        logger[level]({ req: request, res: response, err: error ?? new Error(`failed with status code ${response.statusCode}`), responseTime }, 'request errored');
      } else {
        logger[level]({ req: request, res: response, responseTime }, 'request completed');
      }
    };
    response.on('close', finished);
    response.on('finish', finished);
    response.on('error', finished);
    next();
  };
}
