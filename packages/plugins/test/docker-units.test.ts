/** The pure pieces of the docker executor, without an engine. */
import { Readable } from 'node:stream';
import { ConfigError, ExecutorError, ExecutorUnavailableError } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { createOptions } from '../src/docker/container-spec.js';
import { usageOfStats } from '../src/docker/container-usage.js';
import { executorError, isStartLeftover } from '../src/docker/docker-errors.js';
import { parseDockerOptions } from '../src/docker/docker-options.js';
import { exitInfoOf, signalOf } from '../src/docker/exit-info.js';
import { type LogFrame, logFrames } from '../src/docker/log-frames.js';
import { scriptCommand } from '../src/docker/script-archive.js';
import { PRELUDE_SCRIPT, preludeArgs, preludeCommand, preludeFailure } from '../src/docker/start-prelude.js';
import { makeRunSpec } from './helpers/run-spec.js';

function frame(type: number, payload: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([header, Buffer.from(payload)]);
}

async function collect(chunks: Buffer[]): Promise<LogFrame[]> {
  const frames: LogFrame[] = [];
  for await (const f of logFrames(Readable.from(chunks))) frames.push(f);
  return frames;
}

describe('logFrames', () => {
  it('splits stdout and stderr frames, whatever the chunking', async () => {
    const body = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(1, 'out two\n')]);
    const expected = [
      { stream: 'stdout', data: Buffer.from('out one\n') },
      { stream: 'stderr', data: Buffer.from('err\n') },
      { stream: 'stdout', data: Buffer.from('out two\n') },
    ];
    expect(await collect([body])).toEqual(expected);
    // One byte at a time: headers and payloads cut anywhere.
    expect(await collect([...body].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('passes a non-multiplexed (TTY) body through as stdout', async () => {
    const frames = await collect([Buffer.from('plain text, no headers\n'), Buffer.from('more\n')]);
    expect(Buffer.concat(frames.map((f) => f.data)).toString()).toBe('plain text, no headers\nmore\n');
    expect(new Set(frames.map((f) => f.stream))).toEqual(new Set(['stdout']));
  });
});

/** An answer of the engine as docker-modem rejects with it: the engine's sentence in json.message. */
function engineAnswer(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode, json: { message } });
}

/** A socket error as Node gives it. */
function socketError(message: string, code: string, syscall?: string): Error {
  return Object.assign(new Error(message), { code, ...(syscall ? { syscall } : {}) });
}

describe('engine errors (the messages of a private engine stopped and started under starts)', () => {
  it('an engine that is gone, stopping or not back is ExecutorUnavailableError; an answer about the job is not', () => {
    const passing = [
      socketError('connect ENOENT /run/docker.sock', 'ENOENT', 'connect'),
      socketError('connect ECONNREFUSED /run/docker.sock', 'ECONNREFUSED', 'connect'),
      socketError('socket hang up', 'ECONNRESET'),
      socketError('aborted', 'ECONNRESET'),
      engineAnswer(500, 'failed to update store for object type *libnetwork.endpoint: open : no such file or directory'),
      engineAnswer(500, 'transport is closing: unavailable'),
    ];
    for (const e of passing) expect(executorError('starting', e), e.message).toBeInstanceOf(ExecutorUnavailableError);
    const own = [
      engineAnswer(404, 'No such image: local/none:latest'),
      engineAnswer(400, 'failed to create shim task: exec: "/no/such": stat /no/such: no such file or directory'),
      engineAnswer(500, 'could not select device driver "" with capabilities: [[gpu]]'),
    ];
    for (const e of own) {
      const wrapped = executorError('starting', e);
      expect(wrapped, e.message).toBeInstanceOf(ExecutorError);
      expect(wrapped, e.message).not.toBeInstanceOf(ExecutorUnavailableError);
      expect(isStartLeftover(e), e.message).toBe(false);
    }
  });

  it('a start failing on what a broken-off start left behind is told apart', () => {
    expect(isStartLeftover(engineAnswer(403, 'endpoint with name godocker-x-8 already exists in network none'))).toBe(true);
    expect(isStartLeftover(engineAnswer(500, 'task 10b02e43cd6f8029caebefe88117fb24: already exists'))).toBe(true);
    expect(isStartLeftover(socketError('already exists', 'EEXIST'))).toBe(false);
  });
});

describe('exit info', () => {
  it('names a signal only for an OOM kill: 128+N alone is an exit code like any other', () => {
    expect(signalOf(true)).toBe('SIGKILL');
    expect(signalOf(false)).toBeNull();
  });

  it('turns the zero time into null and never ends before it started', () => {
    const base = { Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0 };
    expect(
      exitInfoOf({
        ...base,
        ExitCode: 128,
        Error: 'boom',
        StartedAt: '0001-01-01T00:00:00Z',
        FinishedAt: '0001-01-01T00:00:00Z',
      }),
    ).toMatchObject({
      startedAt: null,
      endedAt: null,
      error: 'boom',
    });
    const info = exitInfoOf({
      ...base,
      ExitCode: 0,
      Error: '',
      StartedAt: '2026-01-01T00:00:00.961536598Z',
      FinishedAt: '2026-01-01T00:00:00.960619662Z',
    });
    expect(info).toMatchObject({ startedAt: '2026-01-01T00:00:00.961Z', endedAt: '2026-01-01T00:00:00.961Z', error: null });
  });
});

describe('container options', () => {
  it('maps a RunSpec to the create body', () => {
    const spec = makeRunSpec('c1', 7, {
      script: 'echo hi',
      args: ['x'],
      env: { A: '1' },
      workdir: '/work',
      cpu: 1.5,
      ram: 512,
      gpus: 2,
      uid: 1000,
      gid: 100,
      mounts: [
        { hostPath: '/data/in', containerPath: '/in', readOnly: true },
        { hostPath: '/data/out', containerPath: '/out', readOnly: false },
      ],
      labels: { 'godocker.cluster': 'spoofed', team: 'bio' },
    });
    const body = createOptions(spec, 'c1');
    expect(body).toMatchObject({
      name: 'godocker-c1-7',
      Image: 'local/busybox:latest',
      Entrypoint: [],
      // The prelude enters the working directory, then runs the job's command.
      Cmd: [
        '/bin/sh',
        '-c',
        PRELUDE_SCRIPT,
        'godocker-start',
        expect.stringMatching(/^[0-9a-f]{32}$/),
        '/work',
        ...['', '', '', '', 'stdout', 'stderr'],
        ...['/bin/sh', '-c', 'echo hi', '/godocker/job.sh', 'x'],
      ],
      // The job's directory, read-write at /mnt/godocker, named in its env.
      Env: ['A=1', 'GODOCKER_JOB_ID=7', 'GODOCKER_JOB_DIR=/mnt/godocker'],
      User: '1000:100',
      Tty: false,
      Labels: { 'godocker.cluster': 'c1', 'godocker.job': '7', 'godocker.user': 'alice', team: 'bio' },
      HostConfig: {
        NanoCpus: 1_500_000_000,
        Memory: 512 * 1024 * 1024,
        MemorySwap: 512 * 1024 * 1024,
        NetworkMode: 'none',
        Binds: ['/data/in:/in:ro', '/data/out:/out:rw', `${spec.jobDir}:/mnt/godocker:rw`],
        SecurityOpt: ['no-new-privileges'],
        Init: false,
        AutoRemove: false,
        DeviceRequests: [{ Driver: '', Count: 2, Capabilities: [['gpu']] }],
      },
    });
    // The engine would create a missing WorkingDir, as root.
    expect(body).not.toHaveProperty('WorkingDir');
    // Without a working directory or files the command runs as it is.
    expect(createOptions(makeRunSpec('c1', 8, { script: 'echo hi' }), 'c1').Cmd).toEqual([
      '/bin/sh',
      '-c',
      'echo hi',
      '/godocker/job.sh',
    ]);
  });

  it('runs a shebang script directly, anything else with /bin/sh', () => {
    expect(scriptCommand('#!/usr/bin/env python3\nprint(1)', ['a'])).toEqual(['/godocker/job.sh', 'a']);
    // A plain shell script rides in the create call (no copy); a long one is copied as a file.
    expect(scriptCommand(' #!/bin/sh', [])).toEqual(['/bin/sh', '-c', ' #!/bin/sh', '/godocker/job.sh']);
    expect(scriptCommand('echo "$1"', ['x'])).toEqual(['/bin/sh', '-c', 'echo "$1"', '/godocker/job.sh', 'x']);
    const long = `#${'x'.repeat(70 * 1024)}`;
    expect(scriptCommand(long, ['a'])).toEqual(['/bin/sh', '/godocker/job.sh', 'a']);
  });
});

describe('start prelude', () => {
  const cmd = preludeCommand(
    null,
    { stdin: '/in', stdout: '/out/', stderr: '/err', inDirectory: { stdout: 'j.o5', stderr: 'j.e5' } },
    ['/bin/true'],
  );
  const args = preludeArgs(cmd);
  const nonce = cmd[4] ?? '';

  it('reads its arguments back from the Cmd, and finds none in a Cmd without it', () => {
    expect(args).toMatchObject({ nonce, workdir: '', stdin: '/in', stdout: '/out/', stderr: '/err', stdoutName: 'j.o5' });
    expect(preludeArgs(['/bin/sh', '-c', 'echo hi', '/godocker/job.sh'])).toBeNull();
    expect(preludeArgs(null)).toBeNull();
    // Two starts of the same spec never share a nonce.
    expect(preludeCommand(null, {}, [])[4]).not.toBe(nonce);
  });

  it('names the path and the errno of a failure, in the shells’ words or strerror’s', () => {
    if (!args) throw new Error('no prelude arguments');
    expect(preludeFailure(args, `${nonce} stdout-in Permission denied\n`)).toBe(
      'cannot open output file /out/j.o5: Permission denied (EACCES)',
    );
    expect(preludeFailure(args, `${nonce} stdin no such file`)).toBe(
      'cannot open input file /in: No such file or directory (ENOENT)',
    );
    expect(preludeFailure(args, `${nonce} stderr nonexistent directory`)).toBe(
      'cannot open error file /err: No such file or directory (ENOENT)',
    );
    expect(preludeFailure(args, `${nonce} stderr Read-only file system`)).toBe(
      'cannot open error file /err: Read-only file system (EROFS)',
    );
    expect(preludeFailure({ ...args, workdir: '/w' }, `${nonce} workdir No such file or directory`)).toBe(
      'working directory /w does not exist',
    );
  });

  it('takes no line without its nonce, or of a kind it never writes', () => {
    if (!args) throw new Error('no prelude arguments');
    expect(preludeFailure(args, `${'0'.repeat(32)} stdout Permission denied`)).toBeNull();
    expect(preludeFailure(args, 'stdout Permission denied')).toBeNull();
    expect(preludeFailure(args, `${nonce} elsewhere Permission denied`)).toBeNull();
  });
});

describe('docker options', () => {
  const one = (raw: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => parseDockerOptions(raw, env)[0];

  it('defaults the engine from DOCKER_HOST, else /var/run/docker.sock', () => {
    expect(one({})?.address).toBe('unix:///var/run/docker.sock');
    expect(one({}, { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })?.endpoint).toEqual({
      kind: 'unix',
      socketPath: '/run/user/1000/docker.sock',
    });
    expect(one({ socketPath: '/x.sock' }, { DOCKER_HOST: 'tcp://h:2375' })?.address).toBe('unix:///x.sock');
    expect(one({}, { DOCKER_HOST: 'tcp://h:2375' })?.endpoint).toEqual({ kind: 'tcp', host: 'h', port: 2375, tls: null });
    expect(() => one({}, { DOCKER_HOST: 'ssh://h' })).toThrow(ConfigError);
  });

  it('keeps capacity overrides, labels and the kill grace', () => {
    expect(one({ capacity: { cpu: 0.5, ram: 2048 }, labels: { ssd: 'yes' }, killGraceSeconds: 3 })).toEqual({
      endpoint: { kind: 'unix', socketPath: '/var/run/docker.sock' },
      address: 'unix:///var/run/docker.sock',
      nodeName: null,
      capacity: { cpu: 0.5, ram: 2048, gpus: null },
      labels: { ssd: 'yes' },
      killGraceSeconds: 3,
    });
  });

  it('takes a list of named engines, each its own node, and says which entry is wrong', () => {
    const engines = parseDockerOptions(
      {
        killGraceSeconds: 2,
        engines: [
          { name: 'n1', socketPath: '/a.sock', labels: { disk: 'ssd' } },
          { name: 'n2', host: 'tcp://127.0.0.1:2375', capacity: { cpu: 4 } },
        ],
      },
      {},
    );
    expect(engines.map((e) => [e.nodeName, e.address, e.killGraceSeconds])).toEqual([
      ['n1', 'unix:///a.sock', 2],
      ['n2', 'tcp://127.0.0.1:2375', 2],
    ]);
    expect(engines[1]?.capacity.cpu).toBe(4);
    const error = (raw: Record<string, unknown>) => {
      try {
        parseDockerOptions(raw, {});
      } catch (e) {
        return (e as ConfigError).message;
      }
      return 'no error';
    };
    expect(error({ engines: [{ socketPath: '/a.sock' }] })).toMatch(/engines\.0\.name: is required/);
    expect(
      error({
        engines: [
          { name: 'a', socketPath: '/a' },
          { name: 'a', socketPath: '/b' },
        ],
      }),
    ).toMatch(/engines\.1\.name: "a" names two engines/);
    expect(error({ engines: [{ name: 'a' }] })).toMatch(/engines\.0\.host: give the engine socketPath/);
    expect(error({ engines: [{ name: 'a', host: 'http://x' }] })).toMatch(/engines\.0\.host: "http:\/\/x" is not an address/);
    expect(error({ engines: [{ name: 'a', socketPath: '/a', tls: { ca: '/x' } }] })).toMatch(
      /engines\.0\.tls: TLS needs a tcp:\/\/ host/,
    );
    expect(error({ engines: [{ name: 'a', host: 'tcp://h:1', tls: { ca: '/nope/ca.pem', cert: '/c', key: '/k' } }] })).toMatch(
      /engines\.0\.tls\.ca: cannot read \/nope\/ca\.pem/,
    );
    expect(error({ socketPath: '/a', engines: [{ name: 'a', socketPath: '/a' }] })).toMatch(
      /socketPath: give it in each entry of engines/,
    );
    expect(error({ engines: [] })).toMatch(/engines: must be a non-empty list/);
  });
});

describe('container usage from the engine stats', () => {
  // Trimmed from what Debian's docker.io 20.10 (cgroup v1) answered here for a running container.
  const v1 = {
    read: '2026-12-06T02:24:17.591904436Z',
    cpu_stats: { cpu_usage: { total_usage: 2352630761 } },
    memory_stats: {
      usage: 230_000_000,
      max_usage: 420_761_600,
      stats: { cache: 10_000_000, total_inactive_file: 8_000_000, inactive_file: 8_000_000 },
    },
    blkio_stats: {
      io_service_bytes_recursive: [
        { major: 8, minor: 0, op: 'Read', value: 4096 },
        { major: 8, minor: 0, op: 'Write', value: 8192 },
        { major: 8, minor: 0, op: 'Sync', value: 12288 },
        { major: 8, minor: 0, op: 'Total', value: 12288 },
      ],
    },
    networks: { eth0: { rx_bytes: 100, tx_bytes: 200 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
  };

  it('cgroup v1: cpu in seconds, memory less the inactive cache, max_usage as the peak, io by op, network summed', () => {
    expect(usageOfStats(v1)).toEqual({
      at: '2026-12-06T02:24:17.591Z',
      cpuSeconds: 2.352630761,
      memoryBytes: 222_000_000,
      peakMemoryBytes: 420_761_600,
      readBytes: 4096,
      writeBytes: 8192,
      rxBytes: 101,
      txBytes: 202,
    });
  });

  it('cgroup v2: lower-case ops, inactive_file, no peak; no network when the container has none', () => {
    const v2 = {
      read: '2026-12-06T02:24:17Z',
      cpu_stats: { cpu_usage: { total_usage: 1e9 } },
      memory_stats: { usage: 50_000_000, stats: { inactive_file: 1_000_000, anon: 48_000_000 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'read', value: 10 },
          { op: 'write', value: 20 },
        ],
      },
    };
    expect(usageOfStats(v2)).toMatchObject({
      cpuSeconds: 1,
      memoryBytes: 49_000_000,
      peakMemoryBytes: null,
      readBytes: 10,
      writeBytes: 20,
      rxBytes: null,
      txBytes: null,
    });
  });

  it('a stopped container (zeroes, year 1) or an answer of the wrong shape is no reading; odd fields are null', () => {
    expect(usageOfStats({ read: '0001-01-01T00:00:00Z', memory_stats: {}, cpu_stats: {} })).toBeNull();
    expect(usageOfStats(null)).toBeNull();
    expect(usageOfStats('stats')).toBeNull();
    expect(
      usageOfStats({
        read: v1.read,
        cpu_stats: { cpu_usage: { total_usage: -5 } },
        memory_stats: { usage: 'lots' },
        networks: [],
      }),
    ).toMatchObject({ cpuSeconds: null, memoryBytes: null, peakMemoryBytes: null, readBytes: null, rxBytes: null });
  });
});
