import { credential, endpoint, hubUrl } from './session';

/** The credential was refused (revoked, expired, unknown): the console signs the person out. */
export class SignedOut extends Error {}

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** One GraphQL operation with the signed-in credential; errors of the answer are thrown with their messages. */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}, token = credential()): Promise<T> {
  const response = await fetch(endpoint(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 401) throw new SignedOut('401');
  const body = (await response.json()) as { data?: T; errors?: GraphQLErrorShape[] };
  if (body.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED')) throw new SignedOut('401');
  if (body.errors?.length) throw new Error(body.errors.map((error) => error.message).join('; '));
  if (!body.data) throw new Error(`HTTP ${response.status}`);
  return body.data;
}

/** Downloads a hub file (a report, an export) with the credential and saves it under its server-given name. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(hubUrl(path), { headers: { authorization: `Bearer ${credential() ?? ''}` } });
  if (response.status === 401) throw new SignedOut('401');
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallbackName;
  saveBlob(await response.blob(), name);
}

/** Saves a file the console made itself (an explorer CSV). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** CSV text (RFC 4180, UTF-8 with BOM so spreadsheet programs read Vietnamese letters). */
export function csvText(header: string[], rows: Array<Array<string | number | null>>): string {
  const cell = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return '\uFEFF' + [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
