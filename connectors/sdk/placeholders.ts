/**
 * Placeholders in request templates, shared by the kinds that call HTTP sources (http-json, csv):
 *
 *   {{from}}, {{to}}        the read window's first and last day, in the configured `dateFormat`
 *   {{secret:NAME}}         a secret of the connector (headers only; NAME among the kind's secretNames)
 *
 * Validation happens in the config schema, so a bad placeholder is reported on the field that holds it.
 */
import { z } from 'zod';
import { ConnectorError, type ReadWindow } from './contract';

export const DATE_FORMATS = ['YYYY-MM-DD', 'DD/MM/YYYY', 'YYYYMMDD'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** The secret names HTTP kinds accept. */
export const HTTP_SECRET_NAMES = ['token', 'password', 'apiKey'] as const;

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Formats a `YYYY-MM-DD` date. */
export function formatDate(date: string, format: DateFormat): string {
  const [year, month, day] = date.split('-');
  switch (format) {
    case 'YYYY-MM-DD':
      return date;
    case 'DD/MM/YYYY':
      return `${day}/${month}/${year}`;
    case 'YYYYMMDD':
      return `${year}${month}${day}`;
  }
}

/** What is wrong with the placeholders of `text`, or null. `secretNames` null: secrets not allowed here. */
export function placeholderProblem(text: string, secretNames: readonly string[] | null): string | null {
  for (const match of text.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (name === 'from' || name === 'to') continue;
    if (name.startsWith('secret:')) {
      const secret = name.slice('secret:'.length);
      if (!secretNames) return `secrets may only be used in headers (found {{${name}}})`;
      if (!secretNames.includes(secret)) {
        return `unknown secret "${secret}" in {{${name}}}; expected one of ${secretNames.join(', ')}`;
      }
      continue;
    }
    return `unknown placeholder {{${name}}}; expected {{from}}, {{to}}${secretNames ? ' or {{secret:NAME}}' : ''}`;
  }
  return null;
}

export interface TemplateValues {
  window: ReadWindow;
  dateFormat: DateFormat;
  secrets?: Readonly<Record<string, string>>;
}

/** Fills the placeholders of a (validated) template. A secret that is not set is a CONFIG error. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    if (name === 'from') return formatDate(values.window.from, values.dateFormat);
    if (name === 'to') return formatDate(values.window.to, values.dateFormat);
    const secret = name.slice('secret:'.length);
    const value = values.secrets?.[secret];
    if (value === undefined || value === '') {
      throw new ConnectorError('CONFIG', `secret "${secret}" is not set for this connector`);
    }
    return value;
  });
}

// ---------------------------------------------------------------------------
// Schemas

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Headers the HTTP client sets itself, or that would break the framing of the request. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer']);

/** Request headers whose values may hold {{from}}, {{to}} and {{secret:NAME}}. */
export function headersSchema(secretNames: readonly string[]) {
  return z
    .record(
      z.string(),
      z
        .string()
        .max(8_192)
        .superRefine((value, ctx) => {
          if (/[\r\n\0]/.test(value)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'header values cannot contain line breaks' });
          const problem = placeholderProblem(value, secretNames);
          if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
        }),
    )
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        if (!HEADER_NAME.test(name)) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `"${name}" is not a valid header name` });
        } else if (RESERVED_HEADERS.has(name.toLowerCase())) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: `the ${name} header is set by the HTTP client` });
        }
      }
    });
}

/** Query parameters whose string values may hold {{from}} and {{to}} (no secrets: URLs end up in logs). */
export const querySchema = z.record(
  z.string().min(1, 'a query parameter needs a name'),
  z.union([
    z
      .string()
      .max(2_000)
      .superRefine((value, ctx) => {
        const problem = placeholderProblem(value, null);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      }),
    z.number(),
    z.boolean(),
  ]),
);

/** An absolute http(s) URL. */
export const httpUrlSchema = z
  .string()
  .max(2_000)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'not an absolute URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `only http and https URLs are supported, not ${url.protocol}` });
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'put credentials in headers with {{secret:NAME}}, not in the URL' });
    }
  });

/** Headers with their placeholders filled. */
export function fillHeaders(headers: Record<string, string> | undefined, values: TemplateValues): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, fillTemplate(value, values)]));
}

/** Query parameters with their placeholders filled. */
export function fillQuery(
  query: Record<string, string | number | boolean> | undefined,
  values: TemplateValues,
): Record<string, string | number | boolean> {
  return Object.fromEntries(
    Object.entries(query ?? {}).map(([name, value]) => [name, typeof value === 'string' ? fillTemplate(value, values) : value]),
  );
}
