import { ConfigError, loadConfig } from '../../src/config';
import { formatSecretKeys, generateSecretKey, parseSecretKeys, SecretBox, SecretDecryptionError } from '../../src/security/secret-box';

const k1 = generateSecretKey('k1');
const k2 = generateSecretKey('k2');
const owner = { connectorId: 7, name: 'token' };

describe('SecretBox', () => {
  it('round-trips a value (Vietnamese text included) with a fresh IV each time, under the active key', () => {
    const box = new SecretBox([k1]);
    const first = box.seal('mật khẩu-Nghệ An-123', owner);
    const second = box.seal('mật khẩu-Nghệ An-123', owner);
    expect(first.keyId).toBe('k1');
    expect(Buffer.from(first.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(first.tag, 'base64')).toHaveLength(16);
    expect(first.iv).not.toBe(second.iv);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.ciphertext).not.toContain('Nghệ');
    expect(box.open(first, owner)).toBe('mật khẩu-Nghệ An-123');
    expect(box.open(second, owner)).toBe('mật khẩu-Nghệ An-123');
  });

  it('refuses a tampered ciphertext, tag or IV', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('s3cret-value', owner);
    const flip = (text: string) => {
      const bytes = Buffer.from(text, 'base64');
      bytes[0] ^= 1;
      return bytes.toString('base64');
    };
    for (const tampered of [{ ...sealed, ciphertext: flip(sealed.ciphertext) }, { ...sealed, tag: flip(sealed.tag) }, { ...sealed, iv: flip(sealed.iv) }]) {
      expect(() => box.open(tampered, owner)).toThrow(SecretDecryptionError);
      expect(() => box.open(tampered, owner)).toThrow(/altered, or it belongs to another connector or secret/);
    }
  });

  it('refuses a ciphertext moved to another connector or another secret name (AAD)', () => {
    const box = new SecretBox([k1]);
    const sealed = box.seal('s3cret-value', owner);
    expect(() => box.open(sealed, { connectorId: 8, name: 'token' })).toThrow(SecretDecryptionError);
    expect(() => box.open(sealed, { connectorId: 7, name: 'password' })).toThrow(SecretDecryptionError);
  });

  it('decrypts with an older key, encrypts with the active one, and names a key that is not configured', () => {
    const old = new SecretBox([k1]).seal('old-value', owner);
    const rotated = new SecretBox([k2, k1]);
    expect(rotated.open(old, owner)).toBe('old-value');
    expect(rotated.seal('new', owner).keyId).toBe('k2');
    expect(new SecretBox([k2, k1], 'k1').seal('new', owner).keyId).toBe('k1');
    const onlyNew = new SecretBox([k2]);
    expect(() => onlyNew.open(old, owner)).toThrow('secret "token" of connector 7 was encrypted with key "k1", which is not configured (SECRETS_KEYS)');
  });

  it('parses SECRETS_KEYS and says what is wrong without echoing key material', () => {
    expect(parseSecretKeys(formatSecretKeys([k2, k1])).map((key) => key.id)).toEqual(['k2', 'k1']);
    const short = Buffer.alloc(16, 1).toString('base64');
    expect(() => parseSecretKeys(`k1:${short}`)).toThrow('key "k1" is 16 bytes; it must be exactly 32 bytes');
    expect(() => parseSecretKeys(`${formatSecretKeys([k1])},${formatSecretKeys([k1])}`)).toThrow('key id "k1" is given twice');
    expect(() => parseSecretKeys('k1')).toThrow('entry 1 is not of the form id:base64key');
    expect(() => parseSecretKeys('bad id:abc=')).toThrow(/key id "bad id" must be/);
    expect(() => parseSecretKeys(`k1:${short}!`)).toThrow('key "k1" is not base64');
  });
});

describe('secret key configuration', () => {
  it('reads SECRETS_KEYS and SECRETS_ACTIVE_KEY_ID', () => {
    const config = loadConfig({ SECRETS_KEYS: formatSecretKeys([k2, k1]) });
    expect(config.secrets.keys.map((key) => key.id)).toEqual(['k2', 'k1']);
    expect(config.secrets.activeKeyId).toBe('k2');
    expect(loadConfig({ SECRETS_KEYS: formatSecretKeys([k2, k1]), SECRETS_ACTIVE_KEY_ID: 'k1' }).secrets.activeKeyId).toBe('k1');
  });

  it('refuses bad keys with a message naming the variable', () => {
    const short = `k1:${Buffer.alloc(31).toString('base64')}`;
    expect(() => loadConfig({ SECRETS_KEYS: short })).toThrow(ConfigError);
    expect(() => loadConfig({ SECRETS_KEYS: short })).toThrow('SECRETS_KEYS: key "k1" is 31 bytes');
    expect(() => loadConfig({ SECRETS_KEYS: `${formatSecretKeys([k1])},${formatSecretKeys([k1])}` })).toThrow('SECRETS_KEYS: key id "k1" is given twice');
    expect(() => loadConfig({ SECRETS_KEYS: formatSecretKeys([k1]), SECRETS_ACTIVE_KEY_ID: 'k9' })).toThrow('SECRETS_ACTIVE_KEY_ID: "k9" is not a key id of SECRETS_KEYS');
    expect(() => loadConfig({ SECRETS_ACTIVE_KEY_ID: 'k9' })).toThrow('SECRETS_ACTIVE_KEY_ID');
  });

  it('keeps the development key file next to the SQLite database', () => {
    expect(loadConfig({ SQLITE_PATH: '/srv/hub/db.sqlite' }).secrets.keyFile).toBe('/srv/hub/pilothub.secret-key');
    expect(loadConfig({ SQLITE_PATH: ':memory:' }).secrets.keyFile).toBeNull();
    expect(loadConfig({ SECRETS_KEY_FILE: '/tmp/k' }).secrets.keyFile).toBe('/tmp/k');
  });
});
