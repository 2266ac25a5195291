/** The one redactor for text from a source: whole secrets, fragments of 6+ characters, and encoded forms. */
import { ConnectorError } from '../../connectors/sdk/contract';
import { SecretRedactor } from '../../src/security/secret-redactor';

const TOKEN = 'tok-9f8e7d6c5b4a/secret+value';
const redactor = SecretRedactor.of({ token: TOKEN, password: 'p@ss w0rd:é' });

/** Whether any run of 6 characters of `secret` is in `text`. */
function leaksFragment(text: string, secret: string): boolean {
  for (let start = 0; start + 6 <= secret.length; start += 1) if (text.includes(secret.slice(start, start + 6))) return true;
  return false;
}

describe('secret redactor', () => {
  it.each([
    ['the whole value', `denied: you sent Bearer ${TOKEN} twice ${TOKEN}`],
    ['its first 11 characters (a cut body)', `not JSON: ${TOKEN.slice(0, 11)}`],
    ['its last 6 characters', `…${TOKEN.slice(-6)}"}`],
    ['a fragment in the middle', `unit "${TOKEN.slice(5, 17)}" is not known`],
    ['URL-encoded (query string)', `GET /x?token=${encodeURIComponent(TOKEN)}&a=1`],
    ['URL-encoded with lower-case escapes', `token=${encodeURIComponent(TOKEN).toLowerCase()}`],
    ['base64', `x-echo: ${Buffer.from(TOKEN).toString('base64')}`],
    ['base64 after a prefix (Basic user:secret)', `Authorization: Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['base64 after a two-byte prefix', Buffer.from(`ab${TOKEN}`).toString('base64')],
    ['base64url', Buffer.from(`a${TOKEN}`).toString('base64url')],
    ['JSON-escaped', JSON.stringify({ echoed: TOKEN })],
    ['upper-cased (a message that shouts)', `INVALID TOKEN ${TOKEN.toUpperCase()}`],
    ['a fragment in mixed case', `unit "${TOKEN.slice(4, 16).replace(/[a-z]/g, (ch, index: number) => (index % 2 ? ch.toUpperCase() : ch))}"`],
    ['hex-encoded (a dump of the request bytes)', `request: ${Buffer.from(`Bearer ${TOKEN}`).toString('hex')}`],
    ['hex-encoded in upper case', `0x${Buffer.from(TOKEN).toString('hex').toUpperCase()}`],
    ['hex-encoded, cut to its first 8 bytes', `dump ${Buffer.from(TOKEN).toString('hex').slice(0, 16)}…`],
  ])('removes %s', (_form, text) => {
    const redacted = redactor.text(text);
    expect(redacted).toContain('***');
    expect(leaksFragment(redacted, TOKEN)).toBe(false);
    expect(leaksFragment(redacted.toLowerCase(), TOKEN.toLowerCase())).toBe(false);
    for (const encoded of [encodeURIComponent(TOKEN), Buffer.from(TOKEN).toString('base64').slice(0, -2)]) expect(leaksFragment(redacted, encoded)).toBe(false);
    const hex = Buffer.from(TOKEN).toString('hex');
    for (let start = 0; start + 12 <= hex.length; start += 1) expect(redacted.toLowerCase()).not.toContain(hex.slice(start, start + 12));
  });

  it('removes the forms of a secret with spaces and non-ASCII characters', () => {
    const password = 'p@ss w0rd:é';
    for (const text of [password, encodeURIComponent(password), encodeURIComponent(password).replace(/%20/g, '+'), Buffer.from(`u:${password}`).toString('base64')]) {
      expect(redactor.text(`said ${text} back`)).not.toContain(text.slice(2, 8));
    }
  });

  it('leaves other text alone, and shorter runs of a secret', () => {
    expect(redactor.text('HTTP 401 from https://feed.example/records')).toBe('HTTP 401 from https://feed.example/records');
    expect(redactor.text(`tok-9f is only five`)).toBe('tok-9f is only five'.replace('tok-9f', '***'));
    expect(redactor.text('tok-9 and 8e7d6')).toBe('tok-9 and 8e7d6');
  });

  it('redacts a secret shorter than 6 characters where it appears whole, in any case', () => {
    expect(SecretRedactor.of({ apiKey: 'k3y9' }).text('key=k3y9; KEY=K3Y9')).toBe('key=***; KEY=***');
  });

  it('leaves ordinary numbers alone: a hex form is redacted from 12 digits (6 bytes) on', () => {
    const digits = SecretRedactor.of({ password: 'abc123xyz' });
    // 616263 is "abc" in hex: six digits of it are a number like any other.
    expect(digits.text('unit 616263, 31 visits')).toBe('unit 616263, 31 visits');
    expect(digits.text(`x ${Buffer.from('abc123').toString('hex')} y`)).toBe('x *** y');
  });

  it('redacts every string of a value, keys included, and keeps the value when nothing changed', () => {
    const sample = [{ communeCode: `Bearer ${TOKEN}`, visits: 3, nested: { [TOKEN]: [TOKEN.slice(3, 12)] } }];
    const redacted = redactor.value(sample);
    expect(JSON.stringify(redacted)).not.toMatch(/9f8e7d|secret\+/);
    expect(redacted[0].visits).toBe(3);
    const clean = [{ a: 'b' }];
    expect(redactor.value(clean)).toBe(clean);
  });

  it('copies an error with its class, fields and a redacted message and stack', () => {
    const error = new ConnectorError('BAD_PAYLOAD', `the body is not JSON: ${TOKEN.slice(0, 11)}`, false);
    const redacted = redactor.error(error) as ConnectorError;
    expect(redacted).toBeInstanceOf(ConnectorError);
    expect(redacted).toMatchObject({ errorClass: 'BAD_PAYLOAD', retryable: false, message: 'the body is not JSON: ***' });
    expect(redacted.stack).not.toContain(TOKEN.slice(0, 11));
    const clean = new Error('nothing to hide');
    expect(SecretRedactor.of({ token: 'Zq81-xw7Lm-4k' }).error(clean)).toBe(clean);
  });
});
