/**
 * Every end-to-end test of the daemon, with its store on a MongoDB-wire server (FerretDB)
 * instead of the SQLite file: what a user relies on does not depend on the store.
 */

import { describeDaemonE2E } from './daemon-e2e.suite.js';
import { MONGO_URL, mongoDatabases } from './helpers/mongo.js';

const database = mongoDatabases('godocker_e2e')();

describeDaemonE2E('local', { overrides: { store: { type: 'mongodb', url: MONGO_URL, database } } });
