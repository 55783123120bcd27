/**
 * `status: { etcd: ... }` against a real etcd (Debian's etcd-server, started by the test on
 * loopback ports of its own): a running daemon keeps its key, with what `GET /api/v1/status`
 * says of it, on a lease; stopping the daemon removes the key at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonStatus } from '@godocker/sdk';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { startTestDaemon, type TestDaemon, until } from './helpers/test-daemon.js';

const ETCD = process.env.GODOCKER_TEST_ETCD ?? '/usr/bin/etcd';

describe('each daemon keeps a key with a TTL in etcd', () => {
  let etcd: ChildProcess;
  let dir: string;
  let endpoint: string;
  let client: Etcd3;
  let t: TestDaemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'godocker-etcd-'));
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    endpoint = `http://127.0.0.1:${clientPort}`;
    etcd = spawn(
      ETCD,
      [
        `--data-dir=${join(dir, 'data')}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      ],
      { stdio: 'ignore' },
    );
    client = new Etcd3({ hosts: [endpoint] });
    await until('etcd answering', 20, () =>
      client.get('probe').then(
        () => true,
        () => undefined,
      ),
    );
  }, 30_000);

  afterAll(async () => {
    await t?.stop().catch(() => undefined);
    client?.close();
    if (etcd && etcd.exitCode === null) {
      etcd.kill('SIGKILL');
      await once(etcd, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the daemon’s status under its cluster on a lease, and removes it when the daemon stops', async () => {
    t = await startTestDaemon('local', { status: { etcd: { endpoints: [endpoint], ttlSeconds: 10 } } });
    const prefix = `/godocker/${t.daemon.clusterId}/daemons/`;
    const entries = await until('the daemon key in etcd', 10, async () => {
      const all = await client.getAll().prefix(prefix).strings();
      return Object.keys(all).length > 0 ? all : undefined;
    });
    const [[key, value]] = Object.entries(entries) as [[string, string]];
    const said = JSON.parse(value) as DaemonStatus;
    expect(said).toMatchObject({ role: 'single', url: t.url, executors: [{ name: 'local', answers: true }] });
    expect(key).toBe(`${prefix}${said.id}`);
    // It lives on a lease (so it goes when the daemon dies), not forever.
    const [kv] = (await client.get(key).exec()).kvs;
    expect(kv?.lease).toBeDefined();
    expect(kv?.lease).not.toBe('0');
    await t.stop();
    t = undefined;
    expect(await client.getAll().prefix(prefix).keys()).toEqual([]);
  });
});
