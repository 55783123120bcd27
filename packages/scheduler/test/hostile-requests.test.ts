/**
 * Malformed and hostile requests: each gets a 4xx whose message names the field,
 * never a 5xx, and the store is left exactly as it was.
 */
import { connect, type Socket } from 'node:net';
import type { JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** A JSON body; or `raw` for bytes sent untouched. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  as?: 'alice' | 'nobody' | 'forged';
  status: number;
  code?: string;
  field?: string;
}

const ok = { command: { script: 'true' } };
const withReq = (requirements: unknown) => ({ ...ok, requirements });
const withContainer = (container: unknown) => ({ ...ok, container });

const cases: Case[] = [
  { name: 'bad JSON', raw: '{"command": {"script": ', status: 400, field: 'body' },
  { name: 'a JSON array instead of an object', body: [], status: 400 },
  { name: 'a JSON string instead of an object', body: 'echo hi', status: 400 },
  { name: 'an empty body', raw: '', status: 400, field: 'body' },
  { name: 'a body that is not JSON', raw: 'echo hi', headers: { 'content-type': 'text/plain' }, status: 415, field: 'body' },
  {
    name: 'JSON in another charset',
    raw: '{"command": {"script": "true"}}',
    headers: { 'content-type': 'application/json; charset=iso-8859-1' },
    status: 415,
    field: 'body',
  },
  { name: 'no command', body: {}, status: 400, field: 'command' },
  { name: 'a script that is a number', body: { command: { script: 123 } }, status: 400, field: 'command.script' },
  { name: 'an empty script', body: { command: { script: '' } }, status: 400, field: 'command.script' },
  { name: 'a 10 MB script', body: { command: { script: 'x'.repeat(10 * 1024 * 1024) } }, status: 400, field: 'command.script' },
  {
    name: 'a script over the admin limit (2 MB)',
    body: { command: { script: `#${'x'.repeat(2 * 1024 * 1024)}` } },
    status: 400,
    code: 'GOD_LIMIT_EXCEEDED',
    field: 'command.script',
  },
  { name: 'negative cpu', body: withReq({ cpu: -1 }), status: 400, field: 'requirements.cpu' },
  { name: 'zero cpu', body: withReq({ cpu: 0 }), status: 400, field: 'requirements.cpu' },
  { name: 'huge cpu', body: withReq({ cpu: 1e9 }), status: 400, field: 'requirements.cpu' },
  // A cpu limit finer than 0.01 cores is none at all on Docker, and charged nothing.
  { name: 'a billionth of a cpu', body: withReq({ cpu: 1e-9 }), status: 400, field: 'requirements.cpu' },
  { name: 'cpu off the 0.01 step', body: withReq({ cpu: 0.015 }), status: 400, field: 'requirements.cpu' },
  {
    name: 'tmpstorage over the admin limit',
    body: withReq({ tmpstorage: 2 * 1024 * 1024 }),
    status: 400,
    code: 'GOD_LIMIT_EXCEEDED',
    field: 'requirements.tmpstorage',
  },
  {
    name: '10 MB of env',
    body: {
      command: {
        script: 'true',
        env: Object.fromEntries(Array.from({ length: 160 }, (_, i) => [`V${i}`, 'x'.repeat(65_000)])),
      },
    },
    status: 400,
    code: 'GOD_LIMIT_EXCEEDED',
    field: 'command.env',
  },
  {
    name: '1 MB of args',
    body: { command: { script: 'true', args: Array.from({ length: 16 }, () => 'x'.repeat(65_000)) } },
    status: 400,
    code: 'GOD_LIMIT_EXCEEDED',
    field: 'command.args',
  },
  {
    name: 'a 300 KB body to a route that takes small ones',
    path: '/api/v1/sessions',
    body: { name: 'big', pad: 'x'.repeat(300 * 1024) },
    status: 413,
    code: 'GOD_PAYLOAD_TOO_LARGE',
  },
  { name: 'cpu as a string', body: withReq({ cpu: '2' }), status: 400, field: 'requirements.cpu' },
  {
    name: 'more cpu than any node has',
    body: withReq({ cpu: 64 }),
    status: 400,
    code: 'GOD_LIMIT_EXCEEDED',
    field: 'requirements.cpu',
  },
  { name: 'negative ram', body: withReq({ ram: -512 }), status: 400, field: 'requirements.ram' },
  { name: 'fractional ram', body: withReq({ ram: 1.5 }), status: 400, field: 'requirements.ram' },
  { name: 'huge ram', body: withReq({ ram: 1e15 }), status: 400, field: 'requirements.ram' },
  { name: 'negative gpus', body: withReq({ gpus: -1 }), status: 400, field: 'requirements.gpus' },
  { name: 'a zero time limit', body: withReq({ timeLimit: 0 }), status: 400, field: 'requirements.timeLimit' },
  { name: 'an unknown top-level field', body: { ...ok, bogus: 1 }, status: 400, field: 'bogus' },
  { name: 'an unknown nested field', body: withReq({ disk: 10 }), status: 400, field: 'requirements.disk' },
  {
    name: 'a raw host path as a volume',
    body: withContainer({ volumes: [{ name: '/etc' }] }),
    status: 400,
    field: 'container.volumes.0.name',
  },
  {
    name: 'a ../ path as a volume',
    body: withContainer({ volumes: [{ name: '../etc' }] }),
    status: 400,
    field: 'container.volumes.0.name',
  },
  {
    name: 'a host path object as a volume',
    body: withContainer({ volumes: [{ name: 'ref', hostPath: '/' }] }),
    status: 400,
    field: 'container.volumes.0.hostPath',
  },
  {
    name: 'a volume outside the catalogue',
    body: withContainer({ volumes: [{ name: 'secrets' }] }),
    status: 400,
    code: 'GOD_VOLUME_NOT_ALLOWED',
    field: 'container.volumes.0.name',
  },
  {
    name: 'rw on a read-only volume',
    body: withContainer({ volumes: [{ name: 'ref', mode: 'rw' }] }),
    status: 400,
    code: 'GOD_VOLUME_NOT_ALLOWED',
    field: 'container.volumes.0.mode',
  },
  {
    name: 'root without permission',
    body: withContainer({ root: true }),
    status: 403,
    code: 'GOD_ROOT_NOT_ALLOWED',
    field: 'container.root',
  },
  {
    name: 'an image outside the catalogue',
    body: withContainer({ image: 'evil/miner:latest' }),
    status: 400,
    code: 'GOD_IMAGE_NOT_ALLOWED',
    field: 'container.image',
  },
  { name: 'network when the admin allows none', body: withContainer({ network: true }), status: 403, field: 'container.network' },
  { name: 'a project that does not exist', body: { ...ok, project: 'nowhere' }, status: 400, field: 'project' },
  {
    name: 'a project the user is not a member of',
    body: { ...ok, project: 'genomics' },
    status: 403,
    code: 'GOD_FORBIDDEN',
    field: 'project',
  },
  { name: 'an array whose end is before its start', body: { ...ok, array: '10-1' }, status: 400, field: 'array' },
  { name: 'an array over the maximum size', body: { ...ok, array: '1-1000000' }, status: 400, field: 'array' },
  { name: 'an array that is not a range', body: { ...ok, array: 'all' }, status: 400, field: 'array' },
  {
    name: 'an env name with a dash',
    body: { command: { script: 'true', env: { 'A-B': 'x' } } },
    status: 400,
    field: 'command.env.A-B',
  },
  { name: 'a relative workdir', body: { command: { script: 'true', workdir: 'tmp' } }, status: 400, field: 'command.workdir' },
  {
    name: 'a workdir that only looks like the home',
    body: { command: { script: 'true', workdir: '$HOMEX/a' } },
    status: 400,
    field: 'command.workdir',
  },
  {
    name: 'a relative stdout without a workdir',
    body: { command: { script: 'true', stdout: 'out.log' } },
    status: 400,
    field: 'command.stdout',
  },
  {
    name: 'a task index in the stdin of a job that is no array',
    body: { command: { script: 'true', stdin: '/data/in.$GODOCKER_TASK_ID' } },
    status: 400,
    field: 'command.stdin',
  },
  {
    name: 'both joinStderr and stderr',
    body: { command: { script: 'true', stderr: '/tmp/e', joinStderr: true } },
    status: 400,
    field: 'command.joinStderr',
  },
  {
    name: 'a NUL byte in stdout',
    body: { command: { script: 'true', stdout: '/tmp/a\u0000b' } },
    status: 400,
    field: 'command.stdout',
  },
  {
    name: 'a stdout path longer than a path can be',
    body: { command: { script: 'true', stdout: `/${'x'.repeat(5000)}` } },
    status: 400,
    field: 'command.stdout',
  },
  { name: 'a priority out of range', body: { ...ok, priority: 1e6 }, status: 400, field: 'priority' },
  { name: 'a tag with a comma', body: { ...ok, meta: { tags: ['a,b'] } }, status: 400, field: 'meta.tags.0' },
  { name: 'a __proto__ key', raw: '{"command":{"script":"true"},"__proto__":{"admin":true}}', status: 400 },
  { name: 'a NUL byte in the script', body: { command: { script: 'echo a\u0000b' } }, status: 400, field: 'command.script' },
  {
    name: 'an Idempotency-Key of 300 characters',
    body: ok,
    headers: { 'idempotency-key': 'k'.repeat(300) },
    status: 400,
    field: 'header.idempotency-key',
  },
  { name: 'no token', body: ok, as: 'nobody', status: 401, code: 'GOD_UNAUTHENTICATED' },
  { name: 'a wrong token', body: ok, as: 'forged', status: 401, code: 'GOD_UNAUTHENTICATED' },
  {
    name: 'a Basic instead of Bearer header',
    body: ok,
    headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
    status: 401,
    code: 'GOD_UNAUTHENTICATED',
  },
  { name: 'an unknown job id', method: 'GET', path: '/api/v1/jobs/999999', status: 404, code: 'GOD_JOB_NOT_FOUND' },
  { name: 'a job id that is not a number', method: 'GET', path: '/api/v1/jobs/abc', status: 400, field: 'path.id' },
  {
    name: 'an action on an unknown job',
    path: '/api/v1/jobs/999999/actions',
    body: { action: 'kill' },
    status: 404,
    code: 'GOD_JOB_NOT_FOUND',
  },
  { name: 'an unknown action', path: '/api/v1/jobs/1/actions', body: { action: 'explode' }, status: 400, field: 'action' },
  {
    name: 'a user created by a non-admin',
    path: '/api/v1/users',
    body: { name: 'mallory', uid: 3000, gid: 3000 },
    status: 403,
    code: 'GOD_FORBIDDEN',
  },
  { name: 'an unknown state filter', method: 'GET', path: '/api/v1/jobs?state=exploded', status: 400, field: 'query.state' },
  { name: 'a zero page size', method: 'GET', path: '/api/v1/jobs?limit=0', status: 400, field: 'query.limit' },
  { name: 'a negative wait timeout', method: 'GET', path: '/api/v1/jobs/1/wait?timeout=-1', status: 400, field: 'query.timeout' },
  {
    name: 'a log stream that does not exist',
    method: 'GET',
    path: '/api/v1/jobs/1/logs/stdin',
    status: 400,
    field: 'path.stream',
  },
  { name: 'a wait on an unknown id', path: '/api/v1/jobs/wait', body: { ids: [999999] }, status: 404, code: 'GOD_JOB_NOT_FOUND' },
  { name: 'an unknown route', method: 'GET', path: '/api/v1/nothing', status: 404, code: 'GOD_NOT_FOUND' },
  { name: 'a URL longer than 8 KiB', method: 'GET', path: `/api/v1/jobs?name=${'x'.repeat(9000)}`, status: 414 },
  {
    name: 'a wait body larger than a list of ids can be',
    path: '/api/v1/jobs/wait',
    body: { ids: [1], pad: 'x'.repeat(3 * 1024 * 1024) },
    status: 413,
    code: 'GOD_PAYLOAD_TOO_LARGE',
    field: 'body',
  },
];

describe('malformed and hostile requests', () => {
  let t: TestDaemon;
  let alice: Caller;
  let firstJob: number;

  beforeAll(async () => {
    t = await startTestDaemon('local', {
      volumes: [{ name: 'ref', hostPath: '/tmp', mode: 'ro' }],
    });
    alice = await t.addUser('alice', 2001);
    await t.admin.call('POST', '/api/v1/projects', { name: 'genomics' });
    // Job 1 exists (held) so that routes on it reach validation, not 404.
    firstJob = (await alice.call<{ id: number }>('POST', '/api/v1/jobs', { ...ok, hold: true })).body.id;
  });
  afterAll(async () => t?.stop());

  async function snapshot(): Promise<string> {
    const r = await t.admin.call<JobList>('GET', '/api/v1/jobs?limit=1000');
    const users = await t.admin.call('GET', '/api/v1/users');
    return JSON.stringify([r.body.jobs.map((j) => [j.id, j.status.state, j.status.history.length]), users.body]);
  }

  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('$name -> $status', async (c) => {
    expect(firstJob).toBe(1);
    const before = await snapshot();
    const who = c.as === 'nobody' ? caller(t.url, '') : c.as === 'forged' ? caller(t.url, 'gdk_not-a-real-token-at-all') : alice;
    const method = c.method ?? 'POST';
    const path = c.path ?? '/api/v1/jobs';
    const r =
      c.raw !== undefined
        ? await who.raw<{ error: { code: string; message: string; field?: string } }>(method, path, c.raw, {
            'content-type': 'application/json',
            ...c.headers,
          })
        : await who.call<{ error: { code: string; message: string; field?: string } }>(method, path, c.body, c.headers);
    expect(r.status, r.text.slice(0, 300)).toBe(c.status);
    expect(r.body.error.code).toMatch(/^GOD_[A-Z_]+$/);
    if (c.code) expect(r.body.error.code).toBe(c.code);
    expect(r.body.error.message.length).toBeGreaterThan(10);
    if (c.field) {
      expect(r.body.error.field).toBe(c.field);
      const words = c.field
        .split('.')
        .filter((w) => !/^\d+$/.test(w) && !['path', 'query', 'header'].includes(w))
        .map((w) => w.toLowerCase().replace(/s$/, ''));
      const message = r.body.error.message.toLowerCase();
      expect(
        words.some((w) => message.includes(w)),
        `"${r.body.error.message}" names none of ${words.join(', ')}`,
      ).toBe(true);
    }
    expect(await snapshot()).toBe(before);
  });
});

describe('bytes that are not UTF-8', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('are refused (400), not stored with replacement characters', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"command": {"script": "echo '),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}}'),
    ]);
    const res = await fetch(`${t.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.admin.token}`, 'content-type': 'application/json' },
      body: bytes,
    });
    const body = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect([res.status, body.error.code, body.error.field]).toEqual([400, 'GOD_INVALID_REQUEST', 'body']);
    expect(body.error.message).toMatch(/not valid UTF-8/);
    const list = await t.admin.call<JobList>('GET', '/api/v1/jobs');
    expect(list.body.jobs).toEqual([]);
  });
});

describe('bodies trickled without a token', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers 200 of them 401 before their bodies, hangs up, and keeps no memory for them', async () => {
    const { port } = new URL(t.url);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const sockets: Socket[] = [];
    const answers = await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<{ head: string; closed: boolean }>((resolve, reject) => {
            const socket = connect(Number(port), '127.0.0.1');
            sockets.push(socket);
            let head = '';
            let drip: NodeJS.Timeout | undefined;
            socket.setEncoding('utf8');
            socket.on('error', () => undefined);
            socket.on('data', (d: string) => {
              head += d;
            });
            socket.on('close', () => {
              clearInterval(drip);
              resolve({ head, closed: true });
            });
            socket.on('connect', () => {
              socket.write(
                'POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 16000000\r\n\r\n{"command":',
              );
              drip = setInterval(() => socket.write('x'.repeat(1024)), 50);
            });
            setTimeout(() => reject(new Error(`no answer within 10 s; got ${JSON.stringify(head.slice(0, 80))}`)), 10_000);
          }),
      ),
    );
    for (const s of sockets) s.destroy();
    expect(answers.filter((a) => !a.head.startsWith('HTTP/1.1 401'))).toEqual([]);
    expect(answers.every((a) => a.head.includes('GOD_UNAUTHENTICATED') && a.closed)).toBe(true);
    // Not 261 MB for 20 of them, as when bodies were read before the token.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
