/** Connectors as the hub lists them, and finding one by name (unique within a department) or id. */
import type { HubClient } from './client';
import { CliError } from './errors';

export interface HubConnector {
  id: string;
  databaseId: number;
  name: string;
  kind: string;
  enabled: boolean;
  schedule: string | null;
  timeZone: string;
  lookbackDays: number;
  maxWindowDays: number | null;
  config: Record<string, unknown>;
  mapping: Record<string, unknown>;
  mappingVersion: number;
  version: number;
  secretNames: string[];
  department: { code: string };
  createdAt: string;
  updatedAt: string;
  health: { status: string; lastError: string | null; consecutiveFailures: number; lastRunAt: string | null; lastSuccessAt: string | null; nextRunAt: string | null };
}

export const CONNECTOR_FIELDS = `id databaseId name kind enabled schedule timeZone lookbackDays maxWindowDays config mapping mappingVersion version
  secretNames department { code } createdAt updatedAt
  health { status lastError consecutiveFailures lastRunAt lastSuccessAt nextRunAt }`;

/** Every connector the caller may see (of one department when given), page by page. */
export async function listConnectors(client: HubClient, department?: string): Promise<HubConnector[]> {
  const found: HubConnector[] = [];
  let after: string | null = null;
  for (;;) {
    const page: { connectors: { edges: Array<{ node: HubConnector }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await client.graphql(
      `query Connectors($after: String, $filter: ConnectorFilter) {
        connectors(first: 100, after: $after, filter: $filter) { edges { node { ${CONNECTOR_FIELDS} } } pageInfo { hasNextPage endCursor } }
      }`,
      { after, filter: department ? { department } : null },
    );
    found.push(...page.connectors.edges.map((edge) => edge.node));
    if (!page.connectors.pageInfo.hasNextPage) return found;
    after = page.connectors.pageInfo.endCursor;
  }
}

/**
 * The connector a command names: by name (exactly, as stored: trimmed, NFC), within `department` when given; a
 * name two departments use needs --department. A global id or database number works too.
 */
export async function findConnector(client: HubClient, reference: string, department?: string): Promise<HubConnector> {
  const name = reference.normalize('NFC').trim();
  const matches = (await listConnectors(client, department)).filter((connector) => connector.name === name);
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw new CliError(
      `Có ${matches.length} bộ kết nối tên "${name}" (${matches.map((connector) => connector.department.code).join(', ')}): thêm --department — ${matches.length} connectors are named "${name}": add --department`,
    );
  }
  if (/^\d+$/.test(name) || /^[A-Za-z0-9+/=_-]{8,}$/.test(name)) {
    try {
      const byId = await client.graphql<{ connector: HubConnector | null }>(`query Connector($id: ID!) { connector(id: $id) { ${CONNECTOR_FIELDS} } }`, { id: name });
      if (byId.connector) return byId.connector;
    } catch {
      // not an id either
    }
  }
  throw new CliError(`Không tìm thấy bộ kết nối "${name}"${department ? ` của ${department}` : ''} — no connector "${name}"${department ? ` in ${department}` : ''}`, [], 1, 'NOT_FOUND');
}
