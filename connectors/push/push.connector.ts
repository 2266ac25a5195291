import { z } from 'zod';
import { ConnectorError, type ConnectorKind } from '../sdk/contract';

/**
 * The department sends rows to the hub (GraphQL `submitObservations` or `POST /ingest/<connector id>` with a
 * JSON or CSV body) instead of the hub pulling them; there is nothing to reach and nothing to read.
 */
export const pushConfigSchema = z
  .object({
    /** Most rows one push may carry. */
    maxRowsPerPush: z.number().int().min(1).max(200_000).default(50_000),
  })
  .strict();
export type PushConfig = z.infer<typeof pushConfigSchema>;

export const pushConnector: ConnectorKind<PushConfig> = {
  kind: 'push',
  pulled: false,
  description: 'The department sends rows to the hub through the API.',
  configSchema: pushConfigSchema,
  secretNames: [],

  endpoints() {
    return [];
  },
  async check() {
    return { ok: true, message: 'push connectors receive rows through the API; there is no source to reach' };
  },
  async discover() {
    return [{ name: 'observations', fields: ['metric', 'unit', 'period', 'value', 'numerator', 'denominator'], sample: [] }];
  },
  // eslint-disable-next-line require-yield
  async *read() {
    throw new ConnectorError('CONFIG', 'a push connector has no source to read: send rows with submitObservations or POST /ingest/<id>', false);
  },
};
