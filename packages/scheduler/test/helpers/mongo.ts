/**
 * The MongoDB-wire server of the tests: FerretDB on its SQLite backend (scripts/ferretdb-up.sh,
 * which setup.sh runs), at GODOCKER_MONGO_URL or its default address. Each test takes a
 * database of its own, dropped at the end of the file.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { afterAll } from 'vitest';
import { freePort } from './free-port.js';

export const MONGO_URL = process.env.GODOCKER_MONGO_URL ?? 'mongodb://127.0.0.1:27017/';

/** A fresh database name for each call; every one is dropped after the file's tests. */
export function mongoDatabases(prefix: string): () => string {
  const made: string[] = [];
  afterAll(async () => {
    const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 5_000 });
    try {
      for (const name of made) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });
  return () => {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    made.push(name);
    return name;
  };
}

/** Fails with how to start the server when none answers, instead of every test timing out alone. */
export async function requireMongo(): Promise<void> {
  const client = new MongoClient(MONGO_URL, { serverSelectionTimeoutMS: 3_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    throw new Error(
      `no MongoDB-wire server answers at ${MONGO_URL} (${(error as Error).message}): start one with bash scripts/ferretdb-up.sh, or set GODOCKER_MONGO_URL`,
    );
  } finally {
    await client.close();
  }
}

/** A FerretDB of the test's own (the cached build of scripts/ferretdb-build.sh), to stop and start under a daemon. */
export interface PrivateFerretDB {
  url: string;
  start(): Promise<void>;
  /** kill -9: connections are refused until start(). Its data (SQLite files) stays. */
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateFerretDB(): Promise<PrivateFerretDB> {
  const root = resolve(import.meta.dirname, '../../../..');
  const bin = execFileSync('bash', [join(root, 'scripts/ferretdb-build.sh')], { encoding: 'utf8' }).trim();
  const state = mkdtempSync(join(tmpdir(), 'godocker-ferretdb-'));
  mkdirSync(join(state, 'data'));
  const port = await freePort();
  const url = `mongodb://127.0.0.1:${port}/`;
  let child: ChildProcess | null = null;
  const answers = () =>
    new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
  const self: PrivateFerretDB = {
    url,
    async start() {
      child = spawn(
        bin,
        [
          '--handler=sqlite',
          `--sqlite-url=file:${join(state, 'data')}/`,
          `--listen-addr=127.0.0.1:${port}`,
          `--state-dir=${state}`,
          '--telemetry=disable',
          '--debug-addr=-',
          '--log-level=error',
        ],
        { stdio: 'ignore' },
      );
      for (let i = 0; i < 100; i++) {
        if (await answers()) return;
        await delay(100);
      }
      throw new Error(`the private FerretDB did not answer on port ${port} within 10 s`);
    },
    async kill() {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      c.kill('SIGKILL');
      await once(c, 'exit');
    },
    async destroy() {
      await self.kill();
      rmSync(state, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}
