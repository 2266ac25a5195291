/** What every command shares: the --output option and the client of the connection chosen. */
import { Command, Option } from 'commander';
import { HubClient } from './client';
import { resolveConnection } from './profiles';

interface Global {
  profile?: string;
}

export const outputOption = () => new Option('-o, --output <format>', 'table (người đọc / for people) hoặc json (ổn định cho script / stable for scripts)').choices(['table', 'json']).default('table');

export function clientOf(command: Command): HubClient {
  return new HubClient(resolveConnection((command.optsWithGlobals() as Global).profile));
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
