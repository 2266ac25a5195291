/**
 * The one redactor for text that comes from a connector's source: test results, rejected rows (their values
 * and messages), run errors (and so connector health and the logs that quote them).
 *
 * A source may echo a credential whole, in part (a body cut to its first characters), URL-encoded (a query
 * string, a form), base64-encoded (an echoed `Authorization: Basic …`), JSON-escaped, upper- or lower-cased
 * (a message that shouts, a case-insensitive key) or hex-encoded (a debug dump of the request bytes). Every
 * run of 6 or more characters of a secret, or of one of those encodings, is replaced by `***`, whatever its
 * case; in hex, every run of 12 or more digits (6 bytes: shorter runs would hit ordinary numbers); a secret
 * shorter than 6 characters (3 at least) is replaced where it appears whole, whatever its case.
 *
 * Not covered: a secret the source transforms otherwise (reversed, split by other text, hashed, encrypted);
 * a source that knows the secret can always say it in a way no redactor recognises.
 */

/** Shortest run of a secret's characters that is redacted on its own. */
export const FRAGMENT_LENGTH = 6;
/** Shortest run of hex digits of a secret's bytes that is redacted on its own (6 bytes). */
export const HEX_FRAGMENT_LENGTH = 12;
/** Secrets shorter than this are not redacted (they would blank out ordinary text). */
const MIN_SECRET_LENGTH = 3;
const MASK = '***';

/** The forms a secret may take in text: as is, URL-encoded, JSON-escaped, and base64 at any byte alignment. */
function encodedForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const encoded = encodeURIComponent(secret);
  forms.add(encoded);
  forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  forms.add(encoded.replace(/%20/g, '+'));
  forms.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  for (let offset = 0; offset < 3; offset += 1) {
    // The secret preceded by `offset` bytes of something else (e.g. "user:"): only the characters that
    // depend on the secret's bytes alone are stable.
    const base64 = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').replace(/=+$/, '');
    const skip = Math.ceil((offset * 8) / 6);
    const end = (offset + bytes.length) % 3 === 0 ? base64.length : base64.length - 1;
    const stable = base64.slice(skip, end);
    forms.add(stable);
    forms.add(stable.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...forms];
}

/**
 * The text lower-cased character by character, so that every index still points at the same character
 * (a character whose lower case is longer, such as `İ`, is kept as it is).
 */
function foldCase(text: string): string {
  let folded = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    folded += lower.length === ch.length ? lower : ch;
  }
  return folded;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class SecretRedactor {
  /** Every run of FRAGMENT_LENGTH characters of a secret or one of its forms, case-folded. */
  private readonly fragments = new Set<string>();
  /** Every run of HEX_FRAGMENT_LENGTH hex digits of a secret's bytes, lower case. */
  private readonly hexFragments = new Set<string>();
  /** Secrets (and forms) too short for fragments, redacted whole, whatever their case. */
  private readonly whole: RegExp | null;

  constructor(secrets: Iterable<string>) {
    const whole = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET_LENGTH) continue;
      for (const form of encodedForms(secret)) {
        if (form.length < FRAGMENT_LENGTH) {
          if (form.length >= MIN_SECRET_LENGTH) whole.add(form);
          continue;
        }
        const folded = foldCase(form);
        for (let start = 0; start + FRAGMENT_LENGTH <= folded.length; start += 1) this.fragments.add(folded.slice(start, start + FRAGMENT_LENGTH));
      }
      const hex = Buffer.from(secret, 'utf8').toString('hex');
      for (let start = 0; start + HEX_FRAGMENT_LENGTH <= hex.length; start += 1) this.hexFragments.add(hex.slice(start, start + HEX_FRAGMENT_LENGTH));
    }
    const longestFirst = [...whole].sort((a, b) => b.length - a.length);
    this.whole = longestFirst.length > 0 ? new RegExp(longestFirst.map(escapeRegExp).join('|'), 'giu') : null;
  }

  static of(secrets: Readonly<Record<string, string>>): SecretRedactor {
    return new SecretRedactor(Object.values(secrets));
  }

  /** Whether there is nothing to redact. */
  get empty(): boolean {
    return this.fragments.size === 0 && this.hexFragments.size === 0 && this.whole === null;
  }

  /** The text with every secret, fragment and encoded form, in any case, replaced by `***`. */
  text(text: string): string {
    if (this.empty || text.length < MIN_SECRET_LENGTH) return text;
    let result = text;
    if ((this.fragments.size > 0 || this.hexFragments.size > 0) && text.length >= FRAGMENT_LENGTH) {
      const folded = foldCase(text);
      const covered = new Uint8Array(text.length);
      let any = false;
      const mark = (fragments: ReadonlySet<string>, length: number): void => {
        for (let start = 0; start + length <= folded.length; start += 1) {
          if (fragments.has(folded.slice(start, start + length))) {
            covered.fill(1, start, start + length);
            any = true;
          }
        }
      };
      mark(this.fragments, FRAGMENT_LENGTH);
      mark(this.hexFragments, HEX_FRAGMENT_LENGTH);
      if (any) {
        result = '';
        for (let index = 0; index < text.length; index += 1) {
          if (!covered[index]) result += text[index];
          else if (index === 0 || !covered[index - 1]) result += MASK;
        }
      }
    }
    if (this.whole) result = result.replace(this.whole, MASK);
    return result;
  }

  /**
   * A JSON-like value (a record, a sample, a test result) with every string in it redacted, keys included;
   * the value itself when nothing changed.
   */
  value<T>(value: T): T {
    if (this.empty) return value;
    return this.walk(value, 0) as T;
  }

  private walk(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.text(value);
    if (value === null || typeof value !== 'object' || depth > 50) return value;
    if (Array.isArray(value)) {
      let changed = false;
      const items = value.map((item) => {
        const redacted = this.walk(item, depth + 1);
        if (redacted !== item) changed = true;
        return redacted;
      });
      return changed ? items : value;
    }
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    let changed = false;
    const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => {
      const redactedKey = this.text(key);
      const redacted = this.walk(item, depth + 1);
      if (redacted !== item || redactedKey !== key) changed = true;
      return [redactedKey, redacted] as const;
    });
    return changed ? Object.fromEntries(entries) : value;
  }

  /** The error with its message and stack redacted (a copy, with the same name, when anything changed). */
  error(error: unknown): unknown {
    if (this.empty) return error;
    if (!(error instanceof Error)) return this.walk(error, 0);
    const message = this.text(error.message);
    const stack = error.stack === undefined ? undefined : this.text(error.stack);
    if (message === error.message && stack === error.stack) return error;
    const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as Error, error, { message });
    Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true, configurable: true });
    copy.stack = stack;
    return copy;
  }
}
