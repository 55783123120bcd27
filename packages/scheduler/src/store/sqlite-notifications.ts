/** The notification outbox of the SQLite store (migration "the notification outbox"). */
import { NotFoundError } from '@godocker/sdk';
import type Database from 'better-sqlite3';
import type { NotificationChannel, NotificationPatch, NotificationRecord, NotificationStatus } from './store.js';

interface Row {
  id: string;
  job_id: number;
  channel: NotificationChannel;
  payload: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  done_at: string | null;
}

function toRecord(r: Row): NotificationRecord {
  return {
    id: r.id,
    jobId: r.job_id,
    channel: r.channel,
    payload: r.payload,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    doneAt: r.done_at,
  };
}

export class SqliteNotifications {
  readonly #db: Database.Database;
  #statements: ReturnType<typeof prepare> | null = null;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Prepared on first use: the table exists only once migrate() ran. */
  get #q(): ReturnType<typeof prepare> {
    this.#statements ??= prepare(this.#db);
    return this.#statements;
  }

  add(records: readonly NotificationRecord[]): number {
    const q = this.#q;
    return this.#db
      .transaction(() => {
        let added = 0;
        for (const r of records) {
          added += q.insert.run(
            r.id,
            r.jobId,
            r.channel,
            r.payload,
            r.status,
            r.attempts,
            r.nextAttemptAt,
            r.lastError,
            r.createdAt,
            r.doneAt,
          ).changes;
        }
        return added;
      })
      .immediate();
  }

  pending(limit: number): NotificationRecord[] {
    return this.#q.pending.all(limit).map(toRecord);
  }

  update(id: string, p: NotificationPatch): void {
    if (this.#q.update.run(p.status, p.attempts, p.nextAttemptAt, p.lastError, p.doneAt, id).changes === 0) {
      throw new NotFoundError(`no notification ${id}`);
    }
  }

  ofJob(jobId: number): NotificationRecord[] {
    return this.#q.ofJob.all(jobId).map(toRecord);
  }

  purge(doneBefore: string): number {
    return this.#q.purge.run(doneBefore).changes;
  }
}

function prepare(db: Database.Database) {
  return {
    insert: db.prepare<[string, number, string, string, string, number, string, string | null, string, string | null]>(
      `INSERT OR IGNORE INTO notifications
         (id, job_id, channel, payload, status, attempts, next_attempt_at, last_error, created_at, done_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    pending: db.prepare<[number], Row>(
      `SELECT * FROM notifications INDEXED BY notifications_pending WHERE status = 'pending' ORDER BY created_at, id LIMIT ?`,
    ),
    update: db.prepare<[string, number, string, string | null, string | null, string]>(
      'UPDATE notifications SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ?, done_at = ? WHERE id = ?',
    ),
    ofJob: db.prepare<[number], Row>('SELECT * FROM notifications WHERE job_id = ? ORDER BY id'),
    // Written as the index's own condition, so that SQLite uses it.
    purge: db.prepare<[string]>("DELETE FROM notifications WHERE status != 'pending' AND done_at < ?"),
  };
}
