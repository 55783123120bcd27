/**
 * The store the config names: the SQLite file of the data folder, or a MongoDB-wire server.
 */
import { join } from 'node:path';
import { ConfigError, type Logger } from '@godocker/sdk';
import type { GodockerConfig } from '../config/config-schema.js';
import { MongoStore } from './mongo-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export async function openStore(config: GodockerConfig, logger?: Logger): Promise<Store> {
  const { store } = config;
  if (store.type === 'sqlite') {
    return SqliteStore.open(store.path ?? join(config.dataDir, 'godocker.db'), { backgroundCheckpoints: true });
  }
  const url = store.url as string;
  try {
    return await MongoStore.open({ url, database: store.database, ...(logger ? { logger } : {}) });
  } catch (error) {
    throw new ConfigError(
      `store.url: no MongoDB-wire server answers at ${redacted(url)} (${(error as Error).message}): start it, or check the address and credentials`,
      'store.url',
    );
  }
}

/** The URL without its password, for messages and logs. */
export function redacted(url: string): string {
  return url.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]+):[^@/]*@/, '$1:***@');
}
