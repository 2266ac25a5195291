import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server, for connection-level faults: `cut()` makes the target
 * look gone (open connections are torn down; new ones are refused, or left unanswered in `hang` mode),
 * `restore()` brings it back on the same port. Clients only ever see the proxy's address.
 */
export interface TcpProxy {
  /** Port clients connect to. */
  port: number;
  /** Connections accepted since the proxy started. */
  readonly accepted: number;
  /** Whether the proxy currently forwards connections. */
  readonly up: boolean;
  /** Bytes forwarded from the target to each connection, in the order they were accepted. */
  readonly served: readonly number[];
  /**
   * The next connection accepted is torn down (both sides) once the target has sent it `bytes` bytes: the client
   * receives exactly that many and then sees the connection close, like a server that dies partway through an
   * answer. Later connections are forwarded in full.
   */
  cutNextAfter(bytes: number): void;
  /**
   * Destroys every open socket, both sides, and then either stops accepting (`refuse`, the default: the port
   * refuses connections, like a server that is down) or keeps accepting connections that never get an answer
   * (`hang`: like a server that is frozen or a network that drops packets; they are destroyed at restore()).
   */
  cut(mode?: 'refuse' | 'hang'): Promise<void>;
  /** Forwards again on the same port (unanswered `hang` connections are dropped first). */
  restore(): Promise<void>;
  /** Cuts and releases the port for good. */
  close(): Promise<void>;
}

/**
 * Forwards `from` to `to` by hand, with back-pressure, counting the bytes (`count`); with a `limit`, exactly that
 * many, then `teardown`.
 */
function forwardCounted(from: net.Socket, to: net.Socket, limit: number | null, count: (bytes: number) => number, teardown: () => void): void {
  let sent = 0;
  from.on('end', () => to.end());
  from.on('data', (chunk: Buffer) => {
    const room = limit === null ? chunk.length : limit - sent;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    sent = count(part.length);
    if (limit !== null && sent >= limit) {
      from.pause();
      to.write(part, teardown);
      return;
    }
    if (!to.write(part)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}

export async function startTcpProxy(targetHost: string, targetPort: number, options: { port?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const served: number[] = [];
  let nextLimit: number | null = null;
  let server: net.Server | undefined;
  /** While cut in `hang` mode: connections are accepted and left unanswered. */
  let hanging = false;

  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const listening = net.createServer((client) => {
        accepted += 1;
        track(client);
        if (hanging) {
          client.on('error', () => client.destroy());
          return;
        }
        const upstream = net.connect({ host: targetHost, port: targetPort });
        track(upstream);
        // No delay on either side: the database protocol is chatty.
        client.setNoDelay(true);
        upstream.setNoDelay(true);
        // An error or close on one side ends the other: the client sees what it would see if the server died.
        const teardown = () => {
          client.destroy();
          upstream.destroy();
        };
        const index = served.push(0) - 1;
        client.pipe(upstream);
        forwardCounted(upstream, client, nextLimit, (bytes) => (served[index] += bytes), teardown);
        nextLimit = null;
        client.on('error', teardown);
        upstream.on('error', teardown);
        client.on('close', teardown);
        upstream.on('close', teardown);
      });
      listening.once('error', reject);
      listening.listen({ host: '127.0.0.1', port }, () => {
        listening.off('error', reject);
        server = listening;
        resolve((listening.address() as net.AddressInfo).port);
      });
    });

  const stopListening = () =>
    new Promise<void>((resolve) => {
      const current = server;
      server = undefined;
      if (!current) return resolve();
      current.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  const port = await listen(options.port ?? 0);

  return {
    port,
    get accepted() {
      return accepted;
    },
    get up() {
      return server !== undefined && !hanging;
    },
    get served() {
      return served;
    },
    cutNextAfter(bytes: number) {
      nextLimit = bytes;
    },
    async cut(mode = 'refuse') {
      if (mode === 'hang') {
        hanging = true;
        for (const socket of sockets) socket.destroy();
        return;
      }
      await stopListening();
    },
    async restore() {
      if (hanging) {
        hanging = false;
        for (const socket of sockets) socket.destroy();
        return;
      }
      if (server) return;
      // The port was ours a moment ago; retry briefly in case the kernel has not released it yet.
      for (let attempt = 1; ; attempt += 1) {
        try {
          await listen(port);
          return;
        } catch (error) {
          if (attempt >= 50 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async close() {
      hanging = false;
      await stopListening();
    },
  };
}

/** `start(targetHost, targetPort)`: the same as {@link startTcpProxy}. */
export const start = startTcpProxy;
