/**
 * The signed-in credential: an API key or a JWT, kept in sessionStorage only (gone when the tab closes), sent as
 * `Authorization: Bearer`; never in a URL, never in localStorage.
 */
const KEY = 'pilothub.credential';

export function credential(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeCredential(value: string): void {
  sessionStorage.setItem(KEY, value);
}

export function forgetCredential(): void {
  sessionStorage.removeItem(KEY);
}

/** The GraphQL endpoint next to the page: `<base>/graphql` for the console at `<base>/` and for GraphiQL itself. */
export function endpoint(): string {
  const path = location.pathname.replace(/graphql\/?$/, '').replace(/[^/]*$/, '');
  return `${path}graphql`;
}

/** A hub path (e.g. `/reports/progress.csv?…`) under the base the page was served from. */
export function hubUrl(path: string): string {
  const base = endpoint().replace(/\/graphql$/, '');
  return path.startsWith(base + '/') ? path : `${base}${path}`;
}

/**
 * The subscriptions' WebSocket address: the GraphQL endpoint next to the page, on the page's own host, `ws:` or
 * `wss:` as the page is `http:` or `https:` (so it follows PUBLIC_BASE_PATH and TLS as the page does).
 */
export function liveEndpoint(): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${endpoint()}`;
}
