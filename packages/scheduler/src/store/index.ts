export { applyJobChange } from './job-change.js';
export { MIGRATIONS, type Migration, SCHEMA_VERSION } from './sqlite-migrations.js';
export { SqliteStore } from './sqlite-store.js';
export type {
  InsertRequest,
  InsertResult,
  JobChange,
  JobFilter,
  JobPage,
  NewJob,
  PageRequest,
  Store,
  StoredUser,
} from './store.js';
