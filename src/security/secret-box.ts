/**
 * Authenticated encryption of connector secrets at rest: AES-256-GCM, a random 96-bit IV per value, the
 * 128-bit tag stored with it, and the id of the key that encrypted it. The additional authenticated data binds
 * each ciphertext to its row (connector id and secret name), so a ciphertext copied into another row — another
 * connector, or another secret of the same connector — fails to decrypt instead of leaking its value there.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
/** Key ids: short, printable, no separators used by SECRETS_KEYS. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export interface SecretKey {
  id: string;
  /** 32 raw bytes. */
  key: Buffer;
}

/** What identifies the row a secret belongs to; part of the authenticated data. */
export interface SecretOwner {
  connectorId: number;
  name: string;
}

/** A sealed value as stored: base64 ciphertext, IV and tag, and the key id. */
export interface SealedSecret {
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

export class SecretDecryptionError extends Error {
  constructor(
    message: string,
    /** The key id the value names when that key is not configured. */
    readonly unknownKeyId?: string,
  ) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

function associatedData(owner: SecretOwner): Buffer {
  return Buffer.from(`pilothub:connector_secret:v1:${owner.connectorId}:${owner.name}`, 'utf8');
}

/** Parses `id:base64,id:base64`; throws an Error saying what is wrong (without echoing key material). */
export function parseSecretKeys(text: string): SecretKey[] {
  const keys: SecretKey[] = [];
  const entries = text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new Error('no key given; expected id:base64key[,id:base64key…]');
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new Error(`entry ${index + 1} is not of the form id:base64key`);
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) throw new Error(`key id "${id.slice(0, 64)}" must be 1 to 64 letters, digits, ".", "_" or "-"`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error(`key "${id}" is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== SECRET_KEY_BYTES) {
      throw new Error(`key "${id}" is ${key.length} bytes; it must be exactly ${SECRET_KEY_BYTES} bytes (openssl rand -base64 32)`);
    }
    if (keys.some((other) => other.id === id)) throw new Error(`key id "${id}" is given twice`);
    keys.push({ id, key });
  }
  return keys;
}

/** A new random key in the SECRETS_KEYS format. */
export function generateSecretKey(id: string): SecretKey {
  return { id, key: randomBytes(SECRET_KEY_BYTES) };
}

export function formatSecretKeys(keys: readonly SecretKey[]): string {
  return keys.map((key) => `${key.id}:${key.key.toString('base64')}`).join(',');
}

/** Encrypts with the active key and decrypts with any configured key. */
export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: readonly SecretKey[],
    /** Key used for new values; default the first one. */
    readonly activeKeyId: string = keys[0]?.id,
  ) {
    if (keys.length === 0) throw new Error('a SecretBox needs at least one key');
    this.keys = new Map(keys.map((key) => [key.id, key.key]));
    if (!this.keys.has(activeKeyId)) throw new Error(`the active key "${activeKeyId}" is not among the keys`);
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  hasKey(id: string): boolean {
    return this.keys.has(id);
  }

  /**
   * The check value of key `id`: HMAC-SHA256 of a fixed label under the key bytes, hex. Recorded in the database
   * the first time a key id is seen, it tells other bytes under the same id apart without revealing the key.
   */
  checkValue(id: string): string {
    const key = this.keys.get(id);
    if (!key) throw new Error(`no key "${id}"`);
    return createHmac('sha256', key).update('pilothub:secrets-key-check:v1').digest('hex');
  }

  seal(plaintext: string, owner: SecretOwner): SealedSecret {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.activeKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(owner));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      ciphertext: ciphertext.toString('base64'),
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      keyId: this.activeKeyId,
    };
  }

  open(sealed: SealedSecret, owner: SecretOwner): string {
    const where = `secret "${owner.name}" of connector ${owner.connectorId}`;
    const key = this.keys.get(sealed.keyId);
    if (!key) {
      throw new SecretDecryptionError(`${where} was encrypted with key "${sealed.keyId}", which is not configured (SECRETS_KEYS)`, sealed.keyId);
    }
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError(`${where} is stored damaged (IV or tag of the wrong length)`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(owner));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(`${where} cannot be decrypted: it was altered, or it belongs to another connector or secret`);
    }
  }
}
