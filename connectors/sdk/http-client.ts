/** The HTTP client every connector kind uses (implementation below the types). */

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
