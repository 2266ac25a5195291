/** The hub's public API as the CLI uses it: GraphQL at <url>/graphql and the REST routes, with Node's fetch. */
import { CliError } from './errors';
import type { Connection } from './profiles';

export interface GraphQLErrorBody {
  message: string;
  path?: Array<string | number>;
  extensions?: { code?: string; field?: string; [key: string]: unknown };
}

/** An error the hub answered (GraphQL or REST), with its code and field. */
export class HubCallError extends CliError {
  constructor(
    readonly hubMessage: string,
    readonly hubCode: string,
    readonly field: string | undefined,
    readonly status: number,
  ) {
    super(`Hub từ chối (${hubCode}) — the hub refused (${hubCode}): ${hubMessage}`, [], 1, hubCode);
  }
}

export class HubClient {
  constructor(readonly connection: Connection) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.connection.key ? { authorization: `Bearer ${this.connection.key}` } : {}), ...extra };
  }

  /** Sends a request; network failures become one readable error. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.connection.url}${path}`;
    try {
      return await fetch(url, { ...init, headers: this.headers((init.headers as Record<string, string>) ?? {}) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `Không kết nối được tới hub ${this.connection.url} — cannot reach the hub at ${this.connection.url} (${this.connection.source}): ${cause?.code ?? cause?.message ?? (error as Error).message}`,
        [],
        1,
        'UNREACHABLE',
      );
    }
  }

  /** One GraphQL operation; the first error (if any) throws, with its code and field. */
  async graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.request('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: { data?: T | null; errors?: GraphQLErrorBody[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new CliError(`Hub trả lời không phải JSON (HTTP ${response.status}) — the hub answered something other than JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
    }
    const first = body.errors?.[0];
    if (first) throw new HubCallError(first.message, first.extensions?.code ?? 'ERROR', first.extensions?.field, response.status);
    if (!response.ok || body.data == null) throw new CliError(`HTTP ${response.status} từ hub — HTTP ${response.status} from the hub`);
    return body.data;
  }

  /** A REST call answering JSON; the REST error shape (GraphQL's) throws as HubCallError. */
  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.request(path, init);
    await this.throwIfFailed(response);
    return (await response.json()) as T;
  }

  async throwIfFailed(response: Response): Promise<void> {
    if (response.ok) return;
    const text = await response.text();
    let first: GraphQLErrorBody | undefined;
    try {
      first = (JSON.parse(text) as { errors?: GraphQLErrorBody[] }).errors?.[0];
    } catch {
      // not the error shape
    }
    throw new HubCallError(first?.message ?? text.slice(0, 300), first?.extensions?.code ?? `HTTP_${response.status}`, first?.extensions?.field, response.status);
  }
}
