import { csvConnector } from './csv/csv.connector';
import { dhis2Connector } from './dhis2/dhis2.connector';
import { httpJsonConnector } from './http-json/http-json.connector';
import { pushConnector } from './push/push.connector';
import type { ConnectorKind } from './sdk/contract';
import { sqlConnector } from './sql/sql.connector';

// Each kind validates its own configuration, so the registry can hold them without their config types.
const asAnyKind = <Config>(kind: ConnectorKind<Config>) => kind as unknown as ConnectorKind<unknown>;

/** Every connector kind the hub knows, by its `kind` identifier. */
const KINDS: ReadonlyArray<ConnectorKind<unknown>> = [
  asAnyKind(httpJsonConnector),
  asAnyKind(csvConnector),
  asAnyKind(sqlConnector),
  asAnyKind(dhis2Connector),
  asAnyKind(pushConnector),
];

const byKind = new Map(KINDS.map((kind) => [kind.kind, kind]));

export function connectorKind(kind: string): ConnectorKind<unknown> | undefined {
  return byKind.get(kind);
}

export const CONNECTOR_KIND_NAMES: readonly string[] = KINDS.map((kind) => kind.kind);
