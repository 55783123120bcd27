/**
 * The MongoDB-wire server of the tests: FerretDB on its SQLite backend (scripts/ferretdb-up.sh,
 * which setup.sh runs), at GODOCKER_MONGO_URL or its default address. Each test takes a
 * database of its own, dropped at the end of the file.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll } from 'vitest';

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
