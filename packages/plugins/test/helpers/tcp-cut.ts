/**
 * A fault injector on loopback: a TCP relay between a client and a real server that can be cut
 * (every open connection reset, new ones refused: the port is closed) and restored on the same
 * port. Nothing is faked: the bytes are the server's, TLS included; only the network fails, as it
 * does when an API server or the path to it goes away.
 */
import net from 'node:net';

export interface TcpCut {
  port: number;
  /** Resets every open connection and closes the port. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpCut(target: { host: string; port: number }): Promise<TcpCut> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
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
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of open) s.resetAndDestroy();
      open.clear();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  return {
    port,
    cut: stop,
    restore: async () => {
      if (!server.listening) await listen(port);
    },
    close: stop,
  };
}
