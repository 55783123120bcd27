/**
 * `godocker submit --file`: one job per line, every other submit option applied to
 * each, all in one request (POST /api/v1/jobs/batch), all stored or none.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FetchFn, GodockerClient, type Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliHarness, startCliHarness } from './helpers/cli-harness.js';

let h: CliHarness;
let client: GodockerClient;

beforeAll(async () => {
  h = await startCliHarness('cli-file');
  client = new GodockerClient({ url: h.daemon.url, token: h.daemon.adminToken ?? '' });
});

afterAll(async () => {
  await h?.stop();
});

async function jobCount(): Promise<number> {
  return (await client.listJobs({ limit: 1000 })).jobs.length;
}

/** The global fetch, counting the requests it sends. */
function countingFetch(): { fetch: FetchFn; requests: string[] } {
  const requests: string[] = [];
  return {
    requests,
    fetch: (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return globalThis.fetch(input, init);
    },
  };
}

describe('godocker submit --file', () => {
  it('submits one job per line in one request, with the other options on each, and prints the ids', async () => {
    await writeFile(
      join(h.dir, 'jobs.txt'),
      '# preprocessing\necho one\n\n   \necho two > /dev/null\n  # indented comment\n\techo three\t\n',
    );
    const counting = countingFetch();
    const r = await h.cli(
      ['submit', '--file', 'jobs.txt', '--hold', '--tag', 'batch', '-c', '0.5', '--name', 'prep'],
      undefined,
      {
        fetch: counting.fetch,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(counting.requests).toEqual(['POST /api/v1/jobs/batch']);
    const ids = r.stdout.trimEnd().split('\n').map(Number);
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBeGreaterThan(ids[0] as number);
    expect(ids[2]).toBeGreaterThan(ids[1] as number);
    const jobs = await Promise.all(ids.map((id) => client.getJob(id)));
    expect(jobs.map((j) => j.command.script)).toEqual(['echo one', 'echo two > /dev/null', 'echo three']);
    for (const j of jobs) {
      expect(j.status.state).toBe('held');
      expect(j.meta.tags).toEqual(['batch']);
      expect(j.meta.name).toBe('prep');
      expect(j.requirements.cpu).toBe(0.5);
    }
  });

  it('reads the file from stdin with -, and prints the jobs with --json', async () => {
    const r = await h.cli(['submit', '--file', '-', '--hold', '--json'], undefined, {
      readStdin: async () => 'echo a\r\necho b\r\n',
    });
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.stdout) as Job[];
    expect(jobs.map((j) => j.command.script)).toEqual(['echo a', 'echo b']);
    expect(jobs.every((j) => j.status.state === 'held')).toBe(true);
  });

  it('runs the jobs like any others', async () => {
    await writeFile(join(h.dir, 'run.txt'), 'exit 0\nexit 3\n');
    const r = await h.cli(['submit', '--file', 'run.txt']);
    expect(r.code).toBe(0);
    const [ok, bad] = r.stdout.trimEnd().split('\n');
    const w = await h.cli(['wait', ok as string, bad as string, '--json', '--timeout', '60']);
    expect(w.code).toBe(1);
    const ended = (JSON.parse(w.stdout) as { ready: Job[] }).ready.sort((a, b) => a.id - b.id);
    expect(ended.map((j) => [j.status.state, j.status.exitCode])).toEqual([
      ['done', 0],
      ['failed', 3],
    ]);
  });

  it('a bad line fails the whole file, names the line, and submits nothing', async () => {
    await writeFile(join(h.dir, 'bad.txt'), '# three jobs\necho fine\necho fine too\necho "\0"\necho never sent\n');
    const before = await jobCount();
    const r = await h.cli(['submit', '--file', 'bad.txt', '--hold']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: bad.txt line 4: script contains a NUL byte (GOD_INVALID_REQUEST)\n');
    expect(await jobCount()).toBe(before);
  });

  it('checks the pending-jobs quota against the whole file', async () => {
    expect((await h.cli(['project', 'create', 'small', '--quota', 'pending=2'])).code).toBe(0);
    await writeFile(join(h.dir, 'three.txt'), 'true\ntrue\ntrue\n');
    const before = await jobCount();
    const r = await h.cli(['submit', '--file', 'three.txt', '--hold', '--project', 'small']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('project small has 0 jobs waiting; its quota allows 2 (this submit adds 3)');
    expect(await jobCount()).toBe(before);
    await writeFile(join(h.dir, 'two.txt'), 'true\ntrue\n');
    expect((await h.cli(['submit', '--file', 'two.txt', '--hold', '--project', 'small'])).code).toBe(0);
  });

  it.each([
    [['--file', 'empty.txt'], 'empty.txt has no commands (empty lines and # comments are skipped)'],
    [['--file', 'missing.txt'], 'cannot read job file missing.txt: no such file'],
    [['--file', 'jobs.txt', '--cmd', 'true'], 'give --file, a SCRIPT_FILE or --cmd, not two of them'],
    [
      ['--file', 'jobs.txt', '--wait'],
      '--wait follows one job; for the jobs of a file: godocker wait $(godocker submit --file FILE)',
    ],
  ])('refuses %j before sending anything', async (args, message) => {
    await writeFile(join(h.dir, 'empty.txt'), '\n# nothing here\n\n');
    const counting = countingFetch();
    const r = await h.cli(['submit', ...args], undefined, { fetch: counting.fetch });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: ${message}\n`);
    expect(counting.requests).toEqual([]);
  });
});

describe('POST /api/v1/jobs/batch', () => {
  it('answers a retry with the same Idempotency-Key with the first jobs, and creates none', async () => {
    const batch = [
      { command: { script: 'echo 1' }, hold: true },
      { command: { script: 'echo 2' }, hold: true, array: '1-3' },
    ];
    const first = await client.submitBatch(batch, { idempotencyKey: 'file-retry-1' });
    expect(first.map((j) => j.command.script)).toEqual(['echo 1', 'echo 2']);
    expect(first[1]?.array?.count).toBe(3);
    const before = await jobCount();
    const again = await client.submitBatch(batch, { idempotencyKey: 'file-retry-1' });
    expect(again.map((j) => j.id)).toEqual(first.map((j) => j.id));
    expect(await jobCount()).toBe(before);
    // The same key for another batch is a mistake, not a retry.
    await expect(client.submitBatch(batch.slice(0, 1), { idempotencyKey: 'file-retry-1' })).rejects.toMatchObject({
      code: 'GOD_IDEMPOTENCY_KEY_REUSED',
    });
    // A retry answers 200, the first submit 201.
    const res = await fetch(`${h.daemon.url}/api/v1/jobs/batch`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.daemon.adminToken}`,
        'content-type': 'application/json',
        'idempotency-key': 'file-retry-1',
      },
      body: JSON.stringify({ jobs: batch }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { jobs: Job[] }).jobs.map((j) => j.id)).toEqual(first.map((j) => j.id));
  });

  it('answers an array of the batch once all its tasks are stored, beyond the first batch of them', async () => {
    const [one, array] = await client.submitBatch(
      [
        { command: { script: 'true' }, hold: true },
        { command: { script: 'true' }, hold: true, array: '1-600' },
      ],
      { waitForTasks: false },
    );
    expect(one?.array).toBeNull();
    expect(array?.array).toMatchObject({ count: 600, created: 600 });
    expect((await client.listJobs({ parent: array?.id as number, limit: 1000 })).jobs).toHaveLength(600);
  });

  it('refuses an empty batch and names a bad job by its index', async () => {
    await expect(client.submitBatch([])).rejects.toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'jobs' });
    const before = await jobCount();
    await expect(
      client.submitBatch([{ command: { script: 'true' } }, { command: { script: 'true' }, requirements: { cpu: 0.001 } }]),
    ).rejects.toMatchObject({ code: 'GOD_INVALID_REQUEST', field: 'jobs.1.requirements.cpu' });
    expect(await jobCount()).toBe(before);
  });
});
