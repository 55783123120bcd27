/**
 * The notification outbox of the MongoDB store: a plain collection, since only the leader
 * writes it. Every query is an equality (status, jobId) FerretDB answers from an index.
 */
import { NotFoundError } from '@godocker/sdk';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './mongo-versions.js';
import type { NotificationPatch, NotificationRecord } from './store.js';

type Doc = Omit<NotificationRecord, 'id'> & { _id: string };

function toRecord({ _id, ...rest }: Doc): NotificationRecord {
  return { id: _id, ...rest };
}

export class MongoNotifications {
  readonly #coll: Collection<Doc>;

  constructor(db: Db) {
    this.#coll = db.collection<Doc>('notifications');
  }

  async migrate(): Promise<void> {
    await this.#coll.createIndex({ status: 1, createdAt: 1 });
    await this.#coll.createIndex({ jobId: 1 });
    await this.#coll.createIndex({ status: 1, doneAt: 1 });
  }

  async add(records: readonly NotificationRecord[]): Promise<number> {
    let added = 0;
    // One at a time: an id already stored is a duplicate key to pass over, not a failed batch.
    for (const { id, ...rest } of records) {
      try {
        await this.#coll.insertOne({ _id: id, ...rest });
        added++;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
    }
    return added;
  }

  async pending(limit: number): Promise<NotificationRecord[]> {
    const docs = await this.#coll.find({ status: 'pending' }).sort({ createdAt: 1, _id: 1 }).limit(limit).toArray();
    return docs.map((d) => toRecord(d as Doc));
  }

  async update(id: string, patch: NotificationPatch): Promise<void> {
    const result = await this.#coll.updateOne({ _id: id }, { $set: patch });
    if (result.matchedCount === 0) throw new NotFoundError(`no notification ${id}`);
  }

  async purge(doneBefore: string): Promise<number> {
    let deleted = 0;
    // One equality per status (FerretDB answers it from the index), rather than a $in.
    for (const status of ['sent', 'failed'] as const) {
      deleted += (await this.#coll.deleteMany({ status, doneAt: { $lt: doneBefore } })).deletedCount;
    }
    return deleted;
  }

  async ofJob(jobId: number): Promise<NotificationRecord[]> {
    const docs = await this.#coll.find({ jobId }).sort({ _id: 1 }).toArray();
    return docs.map((d) => toRecord(d as Doc));
  }
}
