/**
 * `npm run feeds`: runs the department feed simulator until SIGTERM or SIGINT.
 *   FEEDS_PORT  TCP port, 0–65535 (default 4100; 0 picks a free port)
 *   FEEDS_HOST  interface to bind (default 127.0.0.1; 0.0.0.0 in a container)
 * An unset or empty variable takes its default; an invalid one stops the start with a one-line error.
 */
import { FEED_ENDPOINTS, startFeedSimulator } from './simulator';

export function parseFeedsEnvironment(environment: NodeJS.ProcessEnv): { port: number; host: string } {
  const rawPort = environment.FEEDS_PORT?.trim() ?? '';
  const rawHost = environment.FEEDS_HOST?.trim() ?? '';
  let port = 4100;
  if (rawPort !== '') {
    if (!/^\d{1,5}$/.test(rawPort) || Number(rawPort) > 65535) {
      throw new Error(`FEEDS_PORT must be an integer from 0 to 65535, got ${JSON.stringify(environment.FEEDS_PORT)}`);
    }
    port = Number(rawPort);
  }
  let host = '127.0.0.1';
  if (rawHost !== '') {
    if (!/^([A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/.test(rawHost)) {
      throw new Error(`FEEDS_HOST must be a host name or IP address such as 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(environment.FEEDS_HOST)}`);
    }
    host = rawHost;
  }
  return { port, host };
}

async function main(): Promise<void> {
  let settings: { port: number; host: string };
  try {
    settings = parseFeedsEnvironment(process.env);
  } catch (error) {
    console.error(`feeds: ${(error as Error).message}`);
    process.exit(1);
  }
  let simulator: Awaited<ReturnType<typeof startFeedSimulator>>;
  try {
    simulator = await startFeedSimulator(settings);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EADDRNOTAVAIL' ? 'the address is not available here' : (error as Error).message;
    console.error(`feeds: cannot listen on ${settings.host}:${settings.port}: ${reason}`);
    process.exit(1);
  }

  console.log(`PilotHub department feed simulator (demo data) listening on ${simulator.url}`);
  for (const endpoint of FEED_ENDPOINTS) {
    console.log(`  GET ${simulator.url}${endpoint.usage}   [${endpoint.department}]`);
  }
  console.log(`  GET ${simulator.url}/   (feed list)   GET ${simulator.url}/healthz`);
  console.log(`  faults: ?fault=<mode> or POST ${simulator.url}/_faults {"feed":"health|justice|transport|nhcsxh|*","mode":"<mode>"|null}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`feeds: ${signal} received, stopping`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`feeds: error while stopping: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) void main();
