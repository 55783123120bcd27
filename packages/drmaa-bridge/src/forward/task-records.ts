/**
 * What the executor keeps on disk so that a restarted daemon finds its jobs
 * again: per task, the DRMAA job id it was submitted as, and once reaped, how it
 * ended (a DRMAA wait reaps: the answer exists only once, so it is kept); and the
 * session's contact string, to reattach to the same DRMAA session.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecutorError, type ExitInfo } from '@godocker/sdk';

export interface TaskRecord {
  key: string;
  jobId: number;
  cluster: string;
  node: string;
  drmaaJobId: string;
}

export interface SessionRecord {
  /** The contact string the admin configured (null: the library's default). */
  configured: string | null;
  /** drmaa_get_contact after init: what reattaches to the same session. */
  session: string;
}

const KEY = /^[A-Za-z0-9._-]{1,200}$/;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

export class TaskRecords {
  private readonly tasks: string;

  constructor(private readonly root: string) {
    this.tasks = join(root, 'tasks');
  }

  async open(): Promise<void> {
    await mkdir(this.tasks, { recursive: true, mode: 0o700 });
  }

  checkKey(key: string): void {
    // The key names files: nothing that could climb out of the folder.
    if (!KEY.test(key)) throw new ExecutorError(`drmaa-forward: invalid task key ${JSON.stringify(key)}`);
  }

  read(key: string): Promise<TaskRecord | null> {
    this.checkKey(key);
    return readJson<TaskRecord>(join(this.tasks, `${key}.json`));
  }

  write(record: TaskRecord): Promise<void> {
    return writeAtomic(join(this.tasks, `${record.key}.json`), record);
  }

  readEnd(key: string): Promise<ExitInfo | null> {
    this.checkKey(key);
    return readJson<ExitInfo>(join(this.tasks, `${key}.exit.json`));
  }

  writeEnd(key: string, info: ExitInfo): Promise<void> {
    return writeAtomic(join(this.tasks, `${key}.exit.json`), info);
  }

  async remove(key: string): Promise<void> {
    this.checkKey(key);
    await rm(join(this.tasks, `${key}.json`), { force: true });
    await rm(join(this.tasks, `${key}.exit.json`), { force: true });
  }

  async all(): Promise<TaskRecord[]> {
    const names = await readdir(this.tasks);
    const records = await Promise.all(
      names
        .filter((name) => name.endsWith('.json') && !name.endsWith('.exit.json'))
        .map((name) => readJson<TaskRecord>(join(this.tasks, name))),
    );
    return records.filter((r): r is TaskRecord => r !== null);
  }

  readSession(): Promise<SessionRecord | null> {
    return readJson<SessionRecord>(join(this.root, 'session.json'));
  }

  writeSession(record: SessionRecord): Promise<void> {
    return writeAtomic(join(this.root, 'session.json'), record);
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if (isMissing(error)) return null;
    throw new ExecutorError(`drmaa-forward: cannot read ${path}: ${(error as Error).message}`, error);
  }
}

/** Written whole or not at all: a crash mid-write must not leave half a record. */
async function writeAtomic(path: string, value: unknown): Promise<void> {
  const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}
