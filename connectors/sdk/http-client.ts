/** The HTTP client every connector kind uses (implementation below the types). */
import zlib from 'node:zlib';
import { request as undiciRequest, type Dispatcher } from 'undici';
import { ConnectorError, type ConnectorErrorClass } from './contract';

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  /** Query parameters appended to the URL. */
  query?: Record<string, string | number | boolean>;
  body?: string;
  /** Overrides the client's per-request timeout (ms). */
  timeoutMs?: number;
  /** Overrides the client's maximum response size (bytes). */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  /** The URL that answered (after redirects). */
  url: string;
  body: Buffer;
  text(): string;
  /** Parses the body as JSON; a malformed body is a BAD_PAYLOAD ConnectorError. */
  json(): unknown;
}

export interface HttpClient {
  request(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse>;
}

// ---------------------------------------------------------------------------
// Implementation

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_RETRIES = 2;
export const DEFAULT_USER_AGENT = 'PilotHub-connector/0.1';
export const MAX_REDIRECTS = 5;
export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 5_000;

export interface HttpClientOptions {
  /** Budget for one attempt, from sending the request to the last byte of the body, redirects included. */
  timeoutMs?: number;
  /** Largest response body accepted (bytes). */
  maxBytes?: number;
  /** Further attempts after a retryable failure, for GET and HEAD only. */
  retries?: number;
  userAgent?: string;
  /**
   * The undici dispatcher every request goes through, each redirect hop included. This is where an
   * outbound-host guard belongs: e.g. an `Agent` whose `connect.lookup` refuses private addresses, or a
   * composed interceptor. A guard should fail with a `ConnectorError` (e.g. `CONFIG`): the client passes
   * ConnectorErrors through unchanged and never retries a non-retryable one.
   */
  dispatcher?: Dispatcher;
}

/** A response with an unwanted HTTP status, kept with the status and any `Retry-After` delay. */
export class HttpStatusError extends ConnectorError {
  constructor(
    readonly status: number,
    errorClass: ConnectorErrorClass,
    message: string,
    /** Delay the server asked for in `Retry-After`, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(errorClass, message);
    this.name = 'HttpStatusError';
  }
}

// ---------------------------------------------------------------------------
// Retries (exported for the run scheduler)

export interface RetryOptions {
  /** Further attempts after the first one. */
  retries: number;
  /** No attempt starts and no wait continues once this is aborted; the wait rejects with its reason. */
  signal?: AbortSignal;
  baseMs?: number;
  capMs?: number;
  /** Which failures are worth another attempt; by default a ConnectorError marked retryable. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the retry. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Source of randomness in [0, 1), replaceable in tests. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: the wait before retry number `attempt` (1 for the first retry) is
 * uniform in [0, min(cap, base × 2^(attempt−1))).
 */
export function backoffDelay(
  attempt: number,
  options: { baseMs?: number; capMs?: number; random?: () => number } = {},
): number {
  const { baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS, random = Math.random } = options;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

function isRetryableByDefault(error: unknown): boolean {
  return error instanceof ConnectorError && error.retryable;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `operation` (given the attempt number, 0 first) and retries it on retryable failures, waiting
 * {@link backoffDelay} or, when the failure carries a `retryAfterMs`, at least that long — never more than
 * the cap. Never starts an attempt or keeps waiting after `signal` is aborted.
 */
export async function withRetries<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { retries, signal, capMs = BACKOFF_CAP_MS, isRetryable = isRetryableByDefault, onRetry } = options;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= retries || signal?.aborted || !isRetryable(error)) throw error;
      let delayMs = backoffDelay(attempt + 1, options);
      const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
      if (typeof retryAfterMs === 'number' && retryAfterMs > delayMs) delayMs = Math.min(capMs, retryAfterMs);
      onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers

/** Origin and path only: never the query (it may carry keys) nor user info. */
function displayUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function parseUrl(text: string, query: HttpRequest['query']): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectorError('CONFIG', `invalid URL ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectorError('CONFIG', `unsupported URL scheme ${url.protocol} (http or https only)`);
  }
  for (const [name, value] of Object.entries(query ?? {})) url.searchParams.append(name, String(value));
  return url;
}

/** `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

/** Headers kept when a redirect leaves the origin: credentials and custom keys stay behind. */
const CROSS_ORIGIN_SAFE_HEADERS = new Set(['accept', 'accept-language', 'user-agent']);

const NON_SECRET_HEADERS = new Set(['accept', 'accept-language', 'content-type', 'user-agent']);

/** Values that must never appear in an error message: every request header value and its words. */
function sensitiveValues(headers: Record<string, string>): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (NON_SECRET_HEADERS.has(name)) continue;
    if (value.length >= 4) values.add(value);
    for (const word of value.split(/\s+/)) if (word.length >= 6) values.add(word);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function excerpt(body: Buffer, redact: string[]): string {
  let text = body.toString('utf8', 0, Math.min(body.length, 2048)).replace(/\s+/g, ' ').trim();
  for (const secret of redact) text = text.split(secret).join('[redacted]');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
};

/** A message for department staff: Vietnamese first, English beside it. */
export function bilingual(vi: string, en: string): string {
  return `${vi} — ${en}`;
}

/**
 * Turns what undici or the network threw into a classified ConnectorError. Whatever the source did (answered in
 * another protocol, reset the connection, failed the TLS handshake, sent endless headers) is a source error,
 * never INTERNAL: INTERNAL is left for what the hub itself got wrong.
 */
function classify(error: unknown, url: URL): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  const where = displayUrl(url);
  // undici's parser error carries no code in every version: known by its name.
  if (name === 'HTTPParserError' || (typeof code === 'string' && code.startsWith('HPE_'))) {
    return new ConnectorError(
      'BAD_PAYLOAD',
      bilingual(
        `${where} không trả lời bằng giao thức HTTP (có thể sai cổng hoặc sai máy chủ): kiểm tra địa chỉ và cổng`,
        `${where} did not answer in HTTP (${(error as Error).message}): is the port that of a web server? Check the URL and port`,
      ),
      false,
    );
  }
  if (typeof code === 'string') {
    if (TIMEOUT_CODES.has(code)) return new ConnectorError('TIMEOUT', `timed out reaching ${where} (${code})`);
    if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_CHAR') {
      return new ConnectorError('CONFIG', `invalid request to ${where}: ${(error as Error).message}`);
    }
    if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
      return new ConnectorError('SOURCE_UNAVAILABLE', `incomplete response from ${where} (${code})`);
    }
    if (code === 'UND_ERR_HEADERS_OVERFLOW' || code === 'HPE_HEADER_OVERFLOW') {
      return new ConnectorError(
        'BAD_PAYLOAD',
        bilingual(`${where} gửi phần tiêu đề (headers) quá lớn`, `${where} sent response headers larger than the hub accepts (${code})`),
        false,
      );
    }
    if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO' || TLS_CERT_CODES.has(code)) {
      const plainHttp = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG';
      return new ConnectorError(
        'SOURCE_UNAVAILABLE',
        plainHttp
          ? bilingual(
              `Kết nối TLS tới ${where} thất bại: máy chủ có thể không dùng https ở cổng này`,
              `TLS handshake with ${where} failed (${code}): the server may not speak https on this port; check the URL's scheme and port`,
            )
          : bilingual(`Kết nối TLS tới ${where} thất bại (chứng chỉ hoặc giao thức)`, `TLS handshake with ${where} failed (${code}): check the server's certificate and TLS settings`),
        false,
      );
    }
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
      return new ConnectorError(
        'SOURCE_UNAVAILABLE',
        bilingual(`${where} đã ngắt kết nối trước khi trả lời xong`, `${where} closed the connection before answering in full (${NETWORK_MESSAGES[code]})`),
      );
    }
    return new ConnectorError('SOURCE_UNAVAILABLE', `cannot reach ${where}: ${NETWORK_MESSAGES[code] ?? code}`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectorError('INTERNAL', `request to ${where} failed: ${message}`);
}

const TLS_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

/** Abandons a response body (closing its connection) without an unhandled 'error' event. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

class SizeLimitError extends ConnectorError {
  constructor(maxBytes: number, url: URL) {
    super('BAD_PAYLOAD', `response larger than ${maxBytes} bytes from ${displayUrl(url)}`);
  }
}

/** Reads the body up to `limit` bytes; past it either fails (`truncate` false) or stops reading. */
async function readBody(
  body: Dispatcher.ResponseData['body'],
  limit: number,
  url: URL,
  truncate = false,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.length > limit) {
      if (!truncate) {
        discard(body);
        throw new SizeLimitError(limit, url);
      }
      chunks.push(buffer.subarray(0, limit - size));
      discard(body);
      break;
    }
    size += buffer.length;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/**
 * The body as the source meant it: decompressed as its Content-Encoding says (gzip, deflate, br), within the size
 * limit. A compressed body whose Content-Encoding does not say so (a proxy that strips the header, a server that
 * serves a .gz file as the document) is refused, naming the header, rather than read as noise.
 */
export function decodeContent(body: Buffer, headers: Record<string, string>, maxBytes: number, url: URL): Buffer {
  const declared = (headers['content-encoding'] ?? '').trim().toLowerCase();
  const codings = declared === '' ? [] : declared.split(/\s*,\s*/).filter((coding) => coding !== 'identity');
  const where = displayUrl(url);
  if (codings.length === 0) {
    if (body.subarray(0, 3).equals(GZIP_MAGIC)) {
      const said = declared === '' ? 'không có Content-Encoding' : `Content-Encoding là "${declared}"`;
      const saidEn = declared === '' ? 'it has no Content-Encoding header' : `its Content-Encoding says "${declared}"`;
      throw new ConnectorError(
        'BAD_PAYLOAD',
        bilingual(
          `Dữ liệu từ ${where} được nén gzip nhưng ${said}: máy chủ (hoặc proxy) cần gửi "Content-Encoding: gzip" hoặc gửi dữ liệu không nén`,
          `the response from ${where} is gzip-compressed but ${saidEn} (Content-Type "${headers['content-type'] ?? ''}"): the server or a proxy must send "Content-Encoding: gzip", or send it uncompressed`,
        ),
        false,
      );
    }
    return body;
  }
  let decoded = body;
  // Codings are listed in the order they were applied: undone from the last.
  for (const coding of [...codings].reverse()) {
    const options = { maxOutputLength: maxBytes };
    try {
      if (coding === 'gzip' || coding === 'x-gzip') decoded = zlib.gunzipSync(decoded, options);
      else if (coding === 'deflate') decoded = decoded[0] === 0x78 ? zlib.inflateSync(decoded, options) : zlib.inflateRawSync(decoded, options);
      else if (coding === 'br') decoded = zlib.brotliDecompressSync(decoded, options);
      else {
        throw new ConnectorError(
          'BAD_PAYLOAD',
          bilingual(`${where} dùng kiểu nén "${coding}" mà hệ thống không đọc được`, `the response from ${where} has Content-Encoding "${coding}", which the hub cannot decode (gzip, deflate or br)`),
          false,
        );
      }
    } catch (error) {
      if (error instanceof ConnectorError) throw error;
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw new SizeLimitError(maxBytes, url);
      throw new ConnectorError(
        'BAD_PAYLOAD',
        bilingual(
          `Content-Encoding của ${where} là "${declared}" nhưng dữ liệu không phải ${coding} hợp lệ`,
          `the response from ${where} says Content-Encoding "${declared}" but its body is not valid ${coding} (${(error as Error).message})`,
        ),
        false,
      );
    }
  }
  return decoded;
}

function makeResponse(status: number, headers: Record<string, string>, url: URL, body: Buffer): HttpResponse {
  let text: string | undefined;
  return {
    status,
    headers,
    url: url.toString(),
    body,
    text() {
      text ??= body.toString('utf8');
      return text;
    },
    json() {
      const source = this.text().replace(/^\uFEFF/, '');
      try {
        return JSON.parse(source) as unknown;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ConnectorError('BAD_PAYLOAD', `malformed JSON: ${reason.slice(0, 200)} (from ${displayUrl(url)})`);
      }
    },
  };
}

const isRedirect = (status: number): boolean => [301, 302, 303, 307, 308].includes(status);

// ---------------------------------------------------------------------------
// The client

interface ClientSettings {
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  userAgent: string;
  dispatcher?: Dispatcher;
}

/** One attempt: request, redirects and body under one timeout. */
async function attemptOnce(
  request: HttpRequest,
  settings: ClientSettings,
  callerSignal: AbortSignal | undefined,
): Promise<HttpResponse> {
  callerSignal?.throwIfAborted();
  const method = request.method ?? 'GET';
  const followsRedirects = method === 'GET' || method === 'HEAD';
  const timeoutMs = request.timeoutMs ?? settings.timeoutMs;
  const maxBytes = request.maxBytes ?? settings.maxBytes;
  let url = parseUrl(request.url, request.query);
  /** The URL that redirected to `url`, if any. */
  let redirectedFrom: URL | undefined;

  let headers: Record<string, string> = { 'user-agent': settings.userAgent };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  const redact = sensitiveValues(headers);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new ConnectorError('TIMEOUT', `no complete response within ${timeoutMs} ms`));
  }, timeoutMs);
  const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    for (let hop = 0; ; hop++) {
      const response = await undiciRequest(url, {
        method,
        headers,
        body: request.body,
        signal: controller.signal,
        dispatcher: settings.dispatcher,
      });
      const status = response.statusCode;
      const responseHeaders = flattenHeaders(response.headers);

      if (isRedirect(status) && responseHeaders.location && followsRedirects) {
        await response.body.dump();
        if (hop >= MAX_REDIRECTS) {
          throw new ConnectorError('CONFIG', `too many redirects (more than ${MAX_REDIRECTS}) from ${displayUrl(url)}`);
        }
        const next = parseUrl(new URL(responseHeaders.location, url).toString(), undefined);
        if (next.origin !== url.origin) {
          headers = Object.fromEntries(Object.entries(headers).filter(([name]) => CROSS_ORIGIN_SAFE_HEADERS.has(name)));
        }
        redirectedFrom = url;
        url = next;
        continue;
      }

      if ((status >= 200 && status < 300) || status === 304) {
        const declared = Number(responseHeaders['content-length']);
        if (method !== 'HEAD' && Number.isFinite(declared) && declared > maxBytes) {
          discard(response.body);
          throw new SizeLimitError(maxBytes, url);
        }
        const body = decodeContent(await readBody(response.body, maxBytes, url), responseHeaders, maxBytes, url);
        return makeResponse(status, responseHeaders, url, body);
      }

      // An unwanted status: keep a short excerpt of the body for the person fixing it.
      const body = await readBody(response.body, 2048, url, true);
      const detail = excerpt(body, redact);
      const message = `HTTP ${status} from ${method} ${displayUrl(url)}${detail ? `: ${detail}` : ''}`;
      if (status === 429 || status >= 500) {
        throw new HttpStatusError(status, 'SOURCE_UNAVAILABLE', message, parseRetryAfter(responseHeaders['retry-after']));
      }
      if (status >= 300 && status < 400) {
        throw new HttpStatusError(status, 'CONFIG', `${message} (redirect not followed for ${method})`);
      }
      throw new HttpStatusError(status, 'CONFIG', message);
    }
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timedOut) {
      throw new ConnectorError('TIMEOUT', `no complete response from ${displayUrl(url)} within ${timeoutMs} ms`);
    }
    const failure = classify(error, url);
    if (failure.errorClass === 'OUTBOUND_BLOCKED' && redirectedFrom) {
      // The dispatcher refused the hop; say that a redirect led there.
      throw new ConnectorError('OUTBOUND_BLOCKED', `redirect from ${displayUrl(redirectedFrom)} to ${displayUrl(url)} refused: ${failure.message}`, false);
    }
    throw failure;
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/**
 * An {@link HttpClient} on undici: a timeout per attempt covering the whole body, a streamed size limit,
 * classified errors, redirects for GET/HEAD, and retries with backoff for GET/HEAD on retryable failures.
 * When the caller's signal aborts, the pending call rejects promptly with the signal's reason.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const settings: ClientSettings = {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    retries: options.retries ?? DEFAULT_RETRIES,
    userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
    dispatcher: options.dispatcher,
  };
  return {
    request(request, signal) {
      const method = request.method ?? 'GET';
      const idempotent = method === 'GET' || method === 'HEAD';
      return withRetries(() => attemptOnce(request, settings, signal), {
        retries: idempotent ? settings.retries : 0,
        signal,
      });
    },
  };
}
