export { applyJobChange } from './job-change.js';
export { MONGO_SCHEMA_VERSION, MongoStore, type MongoStoreOptions } from './mongo-store.js';
export { MIGRATIONS, type Migration, SCHEMA_VERSION } from './sqlite-migrations.js';
export { SqliteStore } from './sqlite-store.js';
export { type MigrationCount, migrateSqliteToMongo } from './sqlite-to-mongo.js';
export type {
  CpuTimeRow,
  DrainedNode,
  InsertRequest,
  InsertResult,
  JobChange,
  JobFilter,
  JobPage,
  JobUpdate,
  NewJob,
  NewProject,
  NewUser,
  NotificationChannel,
  NotificationPatch,
  NotificationRecord,
  NotificationStatus,
  PageRequest,
  ProjectPatch,
  ProjectStateCount,
  Store,
  StoredUser,
  UsageRow,
  UserPatch,
} from './store.js';
