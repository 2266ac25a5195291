import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/errors';
import type { AuthConfig, JwtConfig } from '../config';
import { Department } from '../modules/departments/department.entity';
import { ApiKeyService } from './api-key.service';
import { redactUrl } from '../observability/logger';
import { Role, type Principal } from './principal';
import { clientAddress, type AuthenticationFailures } from './rate-limit';

/** Who calls without credentials when ANONYMOUS_READ is on: dashboard reads only. */
export const ANONYMOUS_PRINCIPAL: Principal = Object.freeze({ subject: 'anonymous', name: 'anonymous', role: Role.VIEWER, departmentIds: null, apiKeyId: null });

/** Why a request was refused; logged, never sent (the caller only learns that its credentials were refused). */
export type Refusal = 'missing credentials' | 'malformed authorization header' | 'unknown, revoked or expired API key' | `invalid token: ${string}`;

/** A revoked or expired key that was used: refusals name it in the audit log. */
export interface RefusedKey {
  id: number;
  name: string;
  role: string;
}

export type AuthenticationResult = { principal: Principal } | { refused: Refusal; key?: RefusedKey };

/** The token of an `Authorization: Bearer <token>` header, or why there is none. */
export function bearerToken(header: string | undefined): string | Refusal {
  if (header === undefined || header.trim() === '') return 'missing credentials';
  const match = /^Bearer +([\x21-\x7e]+)\s*$/i.exec(header);
  return match ? match[1] : 'malformed authorization header';
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const ROLES = new Set<string>(Object.values(Role));
/** Department codes change only with a new catalogue: a short cache spares a statement per JWT request. */
const DEPARTMENT_CACHE_MS = 60_000;
/** Most key principals remembered (the map is emptied past it). */
const KEY_PRINCIPALS_MAX = 10_000;
/** Longest accepted `sub`, and most department codes one token may name. */
const SUBJECT_MAX = 255;
const DEPARTMENT_CODES_MAX = 50;
const NAME_MAX = 200;
/** Control, format (bidi overrides, zero-width), lone surrogate and line/paragraph separator characters. */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** A name fit to be shown and recorded as an author: NFC, no control or bidi characters, spaces collapsed, at most 200 characters. */
export function cleanName(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = value.normalize('NFC').replace(/[\t\n\v\f\r\u2028\u2029]/g, ' ').replace(UNPRINTABLE, '').replace(/\s+/g, ' ').trim();
  return cleaned === '' ? null : Array.from(cleaned).slice(0, NAME_MAX).join('');
}

/** A database or key server that cannot be reached while authenticating: 503, not 401. */
export class AuthenticationUnavailable extends Error {}

/** What a verified credential says about its holder: the only input of {@link principalFrom}. */
export interface CredentialClaims {
  /** `key:<id>` or `jwt:<sub>`. */
  subject: string;
  /** Candidate names, the first usable one wins (falls back to the subject). */
  names: readonly unknown[];
  role: unknown;
  /** The departments the credential itself names, resolved to ids (unknown codes already refused). */
  departmentIds: readonly number[];
  apiKeyId: number | null;
}

/**
 * The one place a caller becomes a principal, whether it signed on with an API key or a token: the role must be
 * known, a DEPARTMENT_IT caller is scoped to exactly the departments its credential names (at least one), every
 * other role to none, and the name is cleaned. The principal is frozen: nothing later can widen it.
 */
export function principalFrom(claims: CredentialClaims): Principal | Refusal {
  if (typeof claims.role !== 'string' || !ROLES.has(claims.role)) return 'invalid token: no known role';
  const role = claims.role as Role;
  let departmentIds: readonly number[] | null = null;
  if (role === Role.DEPARTMENT_IT) {
    if (claims.departmentIds.length === 0) return 'invalid token: a DEPARTMENT_IT caller names no department';
    departmentIds = Object.freeze([...new Set(claims.departmentIds)].sort((a, b) => a - b));
  }
  const name = claims.names.map(cleanName).find((candidate) => candidate !== null) ?? claims.subject;
  return Object.freeze({ subject: claims.subject, name, role, departmentIds, apiKeyId: claims.apiKeyId });
}

/** `sub` must be a printable string: `["a"]` or `123` would otherwise be recorded like the string `"a"` or `"123"`. */
function subjectOf(payload: JWTPayload): string | null {
  const sub: unknown = payload.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > SUBJECT_MAX) return null;
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(sub) || sub.trim() !== sub ? null : sub;
}

/** Department codes of the departments claim: a list of codes or a comma-separated string; null when malformed. */
function departmentCodesOf(claimed: unknown): string[] | null {
  const items: unknown[] | null = Array.isArray(claimed) ? claimed : typeof claimed === 'string' ? claimed.split(',') : claimed === undefined ? [] : null;
  if (items === null || items.length > DEPARTMENT_CODES_MAX || !items.every((item) => typeof item === 'string' && item.length <= 50)) return null;
  return [...new Set((items as string[]).map((code) => code.trim()).filter((code) => code !== ''))];
}

/**
 * Resolves the caller of a request: an API key (`Authorization: Bearer ph_…`), a JWT from the configured issuer
 * (single sign-on), or — when ANONYMOUS_READ is on and no credentials are sent — the anonymous viewer. Keys and
 * tokens end in the same {@link principalFrom}.
 */
export class Authenticator {
  readonly apiKeys: ApiKeyService;
  /** Verifies a token's signature and claims; null when JWT verification is not configured. */
  private readonly verifyToken: ((token: string) => Promise<JWTPayload>) | null;
  /** Every department code → id; only ever read for the codes a token names. */
  private departmentCodes: { at: number; ids: ReadonlyMap<string, number> } | null = null;
  /** The principal last built for each key id, with the row values it was built from. */
  private readonly keyPrincipals = new Map<number, { signature: string; principal: Principal | Refusal }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AuthConfig,
    private readonly logger?: Logger,
  ) {
    this.apiKeys = new ApiKeyService(dataSource);
    this.verifyToken = config.jwt ? tokenVerifier(config.jwt) : null;
  }

  // Not async: it hands on the promise of the check it picks instead of wrapping it in another (one per request).
  authenticate(authorization: string | undefined, now = new Date()): Promise<AuthenticationResult> {
    const token = bearerToken(authorization);
    if (token === 'missing credentials') {
      return Promise.resolve(this.config.anonymousRead ? { principal: ANONYMOUS_PRINCIPAL } : { refused: token });
    }
    if (token === 'malformed authorization header') return Promise.resolve({ refused: token });
    if (this.config.jwt && this.verifyToken && JWT_SHAPE.test(token)) return this.verifyJwt(token, this.config.jwt, this.verifyToken, now);
    return this.verifyApiKey(token, now);
  }

  private async verifyApiKey(token: string, now: Date): Promise<AuthenticationResult> {
    let found;
    try {
      found = await this.apiKeys.lookup(token, now);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw new AuthenticationUnavailable('the database is unavailable; try again shortly');
      throw error;
    }
    if (!found) return { refused: 'unknown, revoked or expired API key' };
    if ('inactive' in found) {
      const { id, name, role } = found.inactive;
      return { refused: 'unknown, revoked or expired API key', key: { id, name, role } };
    }
    const { apiKey, departmentIds } = found;
    const principal = this.keyPrincipal(apiKey.id, apiKey.name, apiKey.role, departmentIds);
    if (typeof principal === 'string') return { refused: principal };
    // Recording the use must never delay or fail the request.
    if (this.apiKeys.isUseDue(apiKey, now)) this.apiKeys.touch(apiKey, now).catch((error: unknown) => this.logger?.warn({ err: error, apiKeyId: apiKey.id }, 'could not record API key use'));
    return { principal };
  }

  /**
   * The principal of an active key as its row reads now: the same frozen object as long as the row's name, role
   * and departments are unchanged (building it cleans the name each time), a new one as soon as they change.
   */
  private keyPrincipal(id: number, name: string, role: string, departmentIds: readonly number[]): Principal | Refusal {
    const signature = `${role}\u0000${departmentIds.join(',')}\u0000${name}`;
    const known = this.keyPrincipals.get(id);
    if (known && known.signature === signature) return known.principal;
    const principal = principalFrom({ subject: `key:${id}`, names: [name], role, departmentIds, apiKeyId: id });
    if (this.keyPrincipals.size >= KEY_PRINCIPALS_MAX) this.keyPrincipals.clear();
    this.keyPrincipals.set(id, { signature, principal });
    return principal;
  }

  private async verifyJwt(token: string, jwt: JwtConfig, verify: (token: string) => Promise<JWTPayload>, now: Date): Promise<AuthenticationResult> {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) {
        this.logger?.error({ err: error }, 'the JWT key set cannot be fetched');
        throw new AuthenticationUnavailable('the sign-on key server is unavailable; try again shortly');
      }
      return { refused: `invalid token: ${error.code}` };
    }
    const refusal = lifetimeRefusal(payload, jwt, now);
    if (refusal) return { refused: refusal };
    const subject = subjectOf(payload);
    if (subject === null) return { refused: 'invalid token: claim sub is not a printable string' };
    const role: unknown = payload[jwt.roleClaim];
    let departmentIds: number[] = [];
    if (role === Role.DEPARTMENT_IT) {
      const codes = departmentCodesOf(payload[jwt.departmentsClaim]);
      if (codes === null) return { refused: `invalid token: claim ${jwt.departmentsClaim} is not a list of department codes` };
      const ids = await this.departmentIds(codes);
      const unknown = codes.filter((code) => !ids.has(code));
      if (unknown.length > 0) return { refused: `invalid token: unknown department ${unknown.join(', ')}` };
      departmentIds = codes.map((code) => ids.get(code)!);
    }
    const principal = principalFrom({
      subject: `jwt:${subject}`,
      names: [payload.name, payload.preferred_username, payload.email, subject],
      role,
      departmentIds,
      apiKeyId: null,
    });
    return typeof principal === 'string' ? { refused: principal } : { principal };
  }

  /** The ids of exactly these codes (a code not in the map is unknown): never more than was asked for. */
  private async departmentIds(codes: readonly string[]): Promise<Map<string, number>> {
    let cached = this.departmentCodes;
    if (!cached || Date.now() - cached.at >= DEPARTMENT_CACHE_MS || !codes.every((code) => cached!.ids.has(code))) {
      let departments: Department[];
      try {
        departments = await this.dataSource.getRepository(Department).find({ select: { id: true, code: true } });
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw new AuthenticationUnavailable('the database is unavailable; try again shortly');
        throw error;
      }
      cached = { at: Date.now(), ids: new Map(departments.map((department) => [department.code, department.id])) };
      this.departmentCodes = cached;
    }
    const all = cached.ids;
    return new Map(codes.filter((code) => all.has(code)).map((code) => [code, all.get(code)!]));
  }
}

/**
 * `exp` must be a finite time no further than JWT_MAX_LIFETIME_SECONDS after `iat` and after now (jose checks
 * that it has not passed, and the types of `iat` and `nbf`): `exp: 1e400` is infinity and would never expire.
 */
function lifetimeRefusal(payload: JWTPayload, jwt: JwtConfig, now: Date): Refusal | null {
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'invalid token: claim exp is not a finite time';
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return 'invalid token: claim iat is not a finite time';
  const longest = jwt.maxLifetimeSeconds + jwt.clockToleranceSeconds;
  if (exp - now.getTime() / 1000 > longest || (iat !== undefined && exp - iat > longest)) {
    return `invalid token: lives longer than JWT_MAX_LIFETIME_SECONDS (${jwt.maxLifetimeSeconds} s)`;
  }
  return null;
}

/** Signature and claim checks of the configured issuer: its JWKS (fetched and cached by jose) or an HS256 secret. */
function tokenVerifier(jwt: JwtConfig): (token: string) => Promise<JWTPayload> {
  const options = { issuer: jwt.issuer, audience: jwt.audience, clockTolerance: jwt.clockToleranceSeconds, requiredClaims: ['exp', 'sub'] };
  if (jwt.jwksUrl) {
    const keySet = createRemoteJWKSet(new URL(jwt.jwksUrl));
    return async (token) => (await jwtVerify(token, keySet, options)).payload;
  }
  const secret = new TextEncoder().encode(jwt.secret!);
  return async (token) => (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
}

/** The GraphQL-shaped error body every route answers a refused or failed authentication with. */
function errorBody(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

export interface AuthenticationMiddlewareOptions {
  logger?: Logger;
  /** Counts failures per client address; past its allowance an address is answered 429. */
  failures?: AuthenticationFailures;
  /** Called for each refusal answered 401 (not for 429s), before the answer is sent: the hub audits refused writes. */
  onRefused?: (request: Request, result: Extract<AuthenticationResult, { refused: Refusal }>) => Promise<unknown>;
  /** Counts an answer 429 (metrics). */
  onLimited?: () => void;
}

/**
 * Express middleware: every request passing it carries `response.locals.principal`, or is answered 401 with
 * `WWW-Authenticate: Bearer` (nothing says which keys exist), or 503 when the credentials cannot be checked.
 *
 * Refusals are counted per client address ({@link AuthenticationFailures}): past the allowance the address gets
 * 429 with Retry-After, without its credentials being looked up. A refusal is logged once per window per
 * address (the first; the request log line of every refusal is silenced with `response.locals.quietLog`).
 */
export function authenticationMiddleware(authenticator: Authenticator, reportError: (error: unknown) => void, options: AuthenticationMiddlewareOptions = {}): RequestHandler {
  const { logger, failures } = options;
  const tooMany = (response: Response, retryAfter: number) => {
    options.onLimited?.();
    failures!.refuse(response, retryAfter);
  };
  /** Answers a refused authentication: 429 past the address's allowance, else 401 (logged once per window, audited). */
  const refuse = async (request: Request, response: Response, address: string, result: Extract<AuthenticationResult, { refused: Refusal }>) => {
    const verdict = failures ? await failures.fail(address) : { limited: false, retryAfterSeconds: 0, first: true };
    if (verdict.limited) {
      tooMany(response, verdict.retryAfterSeconds);
      return;
    }
    response.locals.quietLog = true;
    if (verdict.first) {
      const window = failures?.limiterOn ? ` (further refusals from this address within ${failures.windowSeconds} s are counted, not logged)` : '';
      logger?.warn(
        { reason: result.refused, clientIp: address, method: request.method, url: redactUrl(request.originalUrl), ...(result.key ? { apiKeyId: result.key.id } : {}) },
        `request refused: not authenticated${window}`,
      );
    }
    await options.onRefused?.(request, result);
    const given = result.refused !== 'missing credentials';
    response
      .status(401)
      .setHeader('www-authenticate', given ? 'Bearer realm="pilothub", error="invalid_token"' : 'Bearer realm="pilothub"')
      .json(errorBody('UNAUTHENTICATED', given ? 'the credentials are not valid' : 'authentication required: send Authorization: Bearer <API key>'));
  };
  return (request: Request, response: Response, next: NextFunction) => {
    const address = clientAddress(request);
    const wait = failures?.blocked(address) ?? 0;
    if (wait > 0) {
      tooMany(response, wait);
      return;
    }
    authenticator
      .authenticate(request.headers.authorization)
      .then((result) => {
        if (!('principal' in result)) return refuse(request, response, address, result);
        response.locals.principal = result.principal;
        next();
      })
      .catch((error: unknown) => {
        if (error instanceof AuthenticationUnavailable) {
          response.status(503).setHeader('retry-after', '5').json(errorBody('SERVICE_UNAVAILABLE', error.message));
          return;
        }
        reportError(error);
        if (!response.headersSent) response.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'internal error'));
      });
  };
}

/** The principal the authentication middleware attached to a request. */
export function principalOf(response: Response): Principal {
  const principal = response.locals.principal as Principal | undefined;
  if (!principal) throw new Error('the request was not authenticated');
  return principal;
}
