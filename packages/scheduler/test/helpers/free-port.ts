/** A TCP port on loopback nobody listens on now, for a server a test starts (redis, etcd, FerretDB, compose). */
import { type AddressInfo, createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

function bindable(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '0.0.0.0', () => server.close(() => done(true)));
  });
}

/** `count` consecutive ports nobody listens on now, on every address: a host-port pool for a test daemon. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const start = 30000 + Math.floor(Math.random() * 25000);
    let ok = true;
    for (let p = start; p < start + count && ok; p++) ok = await bindable(p);
    if (ok) return start;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
