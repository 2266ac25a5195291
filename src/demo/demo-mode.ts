import type { DataSource } from 'typeorm';
import { In } from 'typeorm';
import { addDays } from '../common/period';
import { todayIn } from '../common/clock';
import type { HubConfig } from '../config';
import { startFeedSimulator } from '../feeds/simulator';
import type { HubServices } from '../hub-services';
import { ConnectorRun } from '../modules/connectors/connector-run.entity';
import { Connector, RunStatus, RunTrigger } from '../modules/connectors/connector.entity';
import { SYSTEM_PRINCIPAL } from '../security/principal';
import { ensureOutboundHost } from '../modules/outbound/outbound-host.service';
import { demoConnectors } from './demo-connectors';
import { issueDemoKeys, type DemoKey } from './demo-keys';

/** History the demo backfills. */
export const DEMO_HISTORY_FROM = '2024-01-01';
const DEMO_ACTOR = 'demo';

export interface Demo {
  feedsUrl: string;
  /** One fresh API key per role (the previous demo keys are revoked). */
  keys: DemoKey[];
  /** Resolves when every backfill has ended. */
  backfilled: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Demo mode: the feed simulator (or one already listening on the port), the demo connectors registered once,
 * one fresh API key per role, and a one-off backfill from 2024-01-01 for each connector that has none yet, run one after another in the
 * background so the API answers meanwhile.
 */
export async function startDemo(config: HubConfig, dataSource: DataSource, services: HubServices): Promise<Demo> {
  let close = async () => {};
  let feedsUrl = `http://127.0.0.1:${config.demo.feedsPort}`;
  try {
    const simulator = await startFeedSimulator({ port: config.demo.feedsPort, host: '127.0.0.1' });
    feedsUrl = simulator.url;
    close = () => simulator.close();
  } catch (error) {
    if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    // `npm run feeds` is already serving on that port: use it.
  }

  // The simulator listens on loopback, which connectors may only reach through an exact host:port entry
  // allowed to: demo mode adds that one entry for its own simulator, visibly, like an administrator would.
  await ensureOutboundHost(dataSource, { pattern: new URL(feedsUrl).host, allowPrivate: true, note: 'demo mode: the feed simulator' }, DEMO_ACTOR);
  const definitions = demoConnectors(feedsUrl);
  const existing = await dataSource.getRepository(Connector).findBy({ name: In(definitions.map((definition) => definition.name)) });
  const connectors: Connector[] = [...existing];
  for (const definition of definitions) {
    if (!existing.some((connector) => connector.name === definition.name)) {
      connectors.push(await services.service.register(definition, { ...SYSTEM_PRINCIPAL, name: DEMO_ACTOR }));
    }
  }

  const { keys } = await issueDemoKeys(dataSource);

  const yesterday = addDays(todayIn(config.timeZone), -1);
  let stopped = false;
  const backfilled = (async () => {
    for (const connector of connectors) {
      if (stopped) return;
      const done = await dataSource.getRepository(ConnectorRun).countBy({
        connectorId: connector.id,
        trigger: RunTrigger.BACKFILL,
        status: In([RunStatus.SUCCEEDED, RunStatus.PARTIAL]),
      });
      if (done > 0 || !connector.enabled) continue;
      const { finished } = await services.runner.start({
        connectorId: connector.id,
        trigger: RunTrigger.BACKFILL,
        window: { from: DEMO_HISTORY_FROM, to: yesterday },
        actor: DEMO_ACTOR,
      });
      await finished;
    }
  })();
  return {
    feedsUrl,
    keys,
    backfilled,
    stop: async () => {
      stopped = true;
      await close();
    },
  };
}
