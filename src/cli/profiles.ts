/**
 * Where the CLI connects: PILOTHUB_URL and PILOTHUB_KEY, or a named profile of the config file
 * (`pilothub login` writes it, readable by its owner only: 0600).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors';

export interface Profile {
  url: string;
  key?: string;
}

export interface ConfigFile {
  /** Profile used when none is named and PILOTHUB_URL is not set. */
  current?: string;
  profiles: Record<string, Profile>;
}

export interface Connection extends Profile {
  /** Where it came from, for messages: `environment` or `profile <name>`. */
  source: string;
}

/** The config file: PILOTHUB_CONFIG, or pilothub/config.json under XDG_CONFIG_HOME (default ~/.config). */
export function configPath(environment: NodeJS.ProcessEnv = process.env): string {
  if (environment.PILOTHUB_CONFIG) return path.resolve(environment.PILOTHUB_CONFIG);
  const base = environment.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'pilothub', 'config.json');
}

export function readConfig(file = configPath()): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as ConfigFile;
    return { current: parsed.current, profiles: parsed.profiles ?? {} };
  } catch {
    throw new CliError(`Tệp cấu hình ${file} không phải JSON hợp lệ — the config file ${file} is not valid JSON`);
  }
}

/** Writes the config file readable and writable by its owner only (0600; its folder 0700). */
export function writeConfig(config: ConfigFile, file = configPath()): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(partial, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(partial, 0o600);
  fs.renameSync(partial, file);
}

/** The hub's base URL: without a trailing slash or /graphql. */
export function baseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`"${text}" không phải URL — "${text}" is not a URL (e.g. http://localhost:4000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`URL phải là http hoặc https — the URL must be http or https: ${text}`);
  return url.toString().replace(/\/+$/, '').replace(/\/graphql$/, '');
}

/**
 * The connection: the named profile (--profile or PILOTHUB_PROFILE), else PILOTHUB_URL with PILOTHUB_KEY, else the
 * config file's current profile.
 */
export function resolveConnection(profileName: string | undefined, environment: NodeJS.ProcessEnv = process.env): Connection {
  const named = profileName ?? environment.PILOTHUB_PROFILE;
  if (!named && environment.PILOTHUB_URL) {
    return { url: baseUrl(environment.PILOTHUB_URL), key: environment.PILOTHUB_KEY || undefined, source: 'environment' };
  }
  const file = configPath(environment);
  const config = readConfig(file);
  const name = named ?? config.current;
  if (!name) {
    throw new CliError(
      'Chưa biết kết nối tới hub nào: đặt PILOTHUB_URL và PILOTHUB_KEY, hoặc chạy `pilothub login` — no hub to connect to: set PILOTHUB_URL and PILOTHUB_KEY, or run `pilothub login`',
    );
  }
  const profile = config.profiles[name];
  if (!profile) throw new CliError(`Không có hồ sơ "${name}" trong ${file} — no profile "${name}" in ${file}`);
  return { url: baseUrl(profile.url), key: profile.key, source: `profile ${name}` };
}
