/**
 * A fault injector on this machine: a relay between a client and a real server, over TCP on
 * loopback or over a unix socket, that can be cut (every open connection reset, new ones refused:
 * the port is closed, the socket file gone) and restored at the same address. Nothing is faked:
 * the bytes are the server's, TLS included; only the path fails, as it does when an API server,
 * an engine or the way to it goes away.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';

export interface TcpCut {
  /** The TCP port (0 for a unix socket relay). */
  port: number;
  /** Resets every open connection and closes the port. */
  cut(): Promise<void>;
  /** Listens again at the same address. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

type Address = { host: string; port: number } | { path: string };

async function startCut(listenAt: { port: number; host?: string } | { path: string }, target: Address): Promise<TcpCut> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = 'path' in target ? net.connect(target.path) : net.connect(target.port, target.host);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  let at = listenAt;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.off('error', reject);
        const address = server.address();
        if (typeof address === 'object' && address !== null && !('path' in at)) at = { ...at, port: address.port };
        resolve();
      };
      if ('path' in at) {
        rmSync(at.path, { force: true });
        server.listen(at.path, done);
      } else server.listen(at.port, at.host ?? '127.0.0.1', done);
    });
  await listen();
  const stop = () =>
    new Promise<void>((resolve) => {
      // A TCP connection is reset (RST); a unix socket connection has no reset and is closed.
      for (const s of open) 'path' in target ? s.destroy() : s.resetAndDestroy();
      open.clear();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  return {
    port: 'port' in at ? at.port : 0,
    cut: stop,
    restore: async () => {
      if (!server.listening) await listen();
    },
    close: stop,
  };
}

/**
 * A TCP relay on a free port to `target`: on loopback, or on `listenHost` (the test cluster's pod
 * bridge address, for a server on loopback that pods must reach).
 */
export function startTcpCut(target: { host: string; port: number }, listenHost = '127.0.0.1'): Promise<TcpCut> {
  return startCut({ port: 0, host: listenHost }, target);
}

/** A unix socket relay at `path` to the unix socket `target` (a Docker engine's). */
export function startUnixCut(path: string, target: string): Promise<TcpCut> {
  return startCut({ path }, { path: target });
}
