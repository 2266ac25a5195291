import type { Request } from 'express';
import { badInput } from '../../common/errors';

/**
 * The query parameters of a REST route: a parameter the route does not know is refused, naming it and the known
 * ones; each known one is read at most once, as text (`?a=1&a=2` is refused naming `a`).
 */
export function queryParameters(request: Request, known: readonly string[]): (name: string) => string | undefined {
  const unknown = Object.keys(request.query).filter((name) => !known.includes(name));
  if (unknown.length > 0) throw badInput(unknown[0], `unknown parameter; expected ${known.join(', ')}`);
  return (name) => {
    const value = request.query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw badInput(name, 'give it once, as text');
    return value;
  };
}
