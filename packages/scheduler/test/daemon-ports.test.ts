/**
 * Host ports end to end: a job asks for container ports, gets host ports of its node's pool
 * (shown on the job, given in env), is reached on them, and gives them back when it ends.
 * Local processes listen on the port themselves; Docker publishes the container's port.
 */
import { execFileSync } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { HostPort, Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl } from '../../plugins/test/helpers/kubernetes.js';
import type { Caller } from './helpers/api-caller.js';
import { caller } from './helpers/api-caller.js';
import { freePortRange } from './helpers/free-port.js';
import { K8S_NAMESPACE, logsOf, SWARM_SOCKET, startTestDaemon, type TestDaemon, until, waitJob } from './helpers/test-daemon.js';

/** What a server on 127.0.0.1:port says to a new connection, retried until it listens. */
async function greeting(port: number, seconds = 20): Promise<string> {
  return until(`a server on port ${port}`, seconds, async () => {
    const text = await new Promise<string>((done, fail) => {
      const socket = connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString();
        if (got.includes('\n')) socket.end();
      });
      socket.on('close', () => done(got));
      socket.on('error', fail);
    });
    return text === '' ? undefined : text;
  });
}

async function submit(who: Caller, body: Record<string, unknown>): Promise<Job> {
  const r = await who.call<Job>('POST', '/api/v1/jobs', body);
  if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${r.text}`);
  return r.body;
}

async function running(who: Caller): Promise<Job[]> {
  const r = await who.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?state=running&limit=1000');
  return r.body.jobs;
}

describe('host ports on the local executor', () => {
  let t: TestDaemon;
  let alice: Caller;
  let start: number;
  const overrides = () => ({ ports: { start, range: 2 }, limits: { maxPorts: 2 } });

  beforeAll(async () => {
    start = await freePortRange(2);
    t = await startTestDaemon('local', overrides());
    alice = await t.addUser('alice', 2001, 2002);
  });
  afterAll(async () => t?.stop());

  it('refuses bad port requests with 400 and the field at fault', async () => {
    const cmd = { script: 'true' };
    const twice = await alice.call('POST', '/api/v1/jobs', {
      command: cmd,
      container: { ports: [{ containerPort: 8080 }, { containerPort: 8080, protocol: 'tcp' }] },
    });
    expect(twice.status).toBe(400);
    expect(twice.body).toMatchObject({
      error: { field: 'container.ports.1', message: expect.stringMatching(/8080\/tcp is asked for twice/) },
    });
    const zero = await alice.call('POST', '/api/v1/jobs', { command: cmd, container: { ports: [{ containerPort: 0 }] } });
    expect(zero.status).toBe(400);
    expect(zero.text).toMatch(/containerPort/);
    const proto = await alice.call('POST', '/api/v1/jobs', {
      command: cmd,
      container: { ports: [{ containerPort: 80, protocol: 'sctp' }] },
    });
    expect(proto.status).toBe(400);
    const many = await alice.call('POST', '/api/v1/jobs', {
      command: cmd,
      container: { ports: [{ containerPort: 1 }, { containerPort: 2 }, { containerPort: 3 }] },
    });
    expect(many.status).toBe(400);
    expect(many.body).toMatchObject({ error: { code: 'GOD_LIMIT_EXCEEDED', field: 'container.ports' } });
    // tcp and udp of one port are two ports, not a duplicate.
    const both = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: cmd,
      container: { ports: [{ containerPort: 53 }, { containerPort: 53, protocol: 'udp' }] },
    });
    expect(both.status).toBe(201);
    expect(both.body.container.ports).toEqual([
      { containerPort: 53, protocol: 'tcp' },
      { containerPort: 53, protocol: 'udp' },
    ]);
    const ended = await waitJob(alice, both.body.id);
    expect(ended.status.state).toBe('done');
    expect(ended.status.ports?.map((p) => [p.containerPort, p.protocol])).toEqual([
      [53, 'tcp'],
      [53, 'udp'],
    ]);
  });

  it('a job listens on $GODOCKER_PORT_8080 and is reached there; the job shows its host port', async () => {
    const job = await submit(alice, {
      command: {
        script:
          'echo "host=$GODOCKER_HOST port=$GODOCKER_PORT_8080 udp=$GODOCKER_PORT_9090_UDP"; echo hello | busybox nc -l -p "$GODOCKER_PORT_8080"',
      },
      container: { ports: [{ containerPort: 8080 }, { containerPort: 9090, protocol: 'udp' }] },
    });
    const started = await waitJob(alice, job.id, 'started');
    const ports = started.status.ports as HostPort[];
    expect(ports).toHaveLength(2);
    const tcp = ports.find((p) => p.protocol === 'tcp') as HostPort;
    expect(tcp).toMatchObject({ containerPort: 8080, node: started.status.node });
    expect(new Set(ports.map((p) => p.hostPort))).toEqual(new Set([start, start + 1]));
    expect((await greeting(tcp.hostPort)).trim()).toBe('hello');
    const ended = await waitJob(alice, job.id);
    expect(ended.status.state).toBe('done');
    const udp = ports.find((p) => p.protocol === 'udp') as HostPort;
    expect((await logsOf(alice, job.id)).split('\n')[0]).toBe(
      `host=${started.status.node} port=${tcp.hostPort} udp=${udp.hostPort}`,
    );
  });

  it('waits with a reason when the pool is used up, starts when a port frees, and never gives one port twice', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      ids.push((await submit(alice, { command: { script: 'sleep 1' }, container: { ports: [{ containerPort: 8080 }] } })).id);
    }
    let sawReason = '';
    const seen = new Set<number>();
    for (const end = Date.now() + 60_000; Date.now() < end; ) {
      const run = (await running(alice)).filter((j) => ids.includes(j.id));
      const held = run.flatMap((j) => (j.status.ports ?? []).map((p) => p.hostPort));
      // Two running jobs never share a host port, and every one is of the pool.
      expect(new Set(held).size).toBe(held.length);
      for (const p of held) expect(p === start || p === start + 1).toBe(true);
      for (const j of run) seen.add(j.id);
      if (!sawReason && run.length === 2) {
        const waiting = ids.find((id) => !run.some((j) => j.id === id) && !seen.has(id));
        if (waiting !== undefined) {
          const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${waiting}/explain`);
          if (why.body.code === 'Resources') sawReason = why.body.message;
        }
      }
      const states = await Promise.all(
        ids.map(async (id) => (await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body.status.state),
      );
      if (states.every((s) => s === 'done')) break;
      await delay(50);
    }
    for (const id of ids) expect((await waitJob(alice, id, 'terminated', 5)).status.state).toBe('done');
    // The backfill reservation follows: jobs without a time limit count as running the longest allowed.
    expect(sawReason.split('; ')[0]).toBe(`waiting for 1 free host port: the pool ${start}-${start + 1} on every node is in use`);
  });

  it('still counts the ports of running jobs after a daemon restart', async () => {
    const first = await submit(alice, { command: { script: 'sleep 30' }, container: { ports: [{ containerPort: 8080 }] } });
    const held = ((await waitJob(alice, first.id, 'started')).status.ports as HostPort[])[0]?.hostPort;
    const dataDir = t.dataDir;
    await t.daemon.stop();
    t = await startTestDaemon('local', overrides(), dataDir);
    alice = caller(t.url, alice.token);
    // The job is adopted, its port still taken: the next job gets the other one.
    const second = await submit(alice, { command: { script: 'sleep 30' }, container: { ports: [{ containerPort: 8080 }] } });
    const got = ((await waitJob(alice, second.id, 'started')).status.ports as HostPort[])[0]?.hostPort;
    expect(got).not.toBe(held);
    // Both ports held: a third waits, and says so.
    const third = await submit(alice, { command: { script: 'true' }, container: { ports: [{ containerPort: 8080 }] } });
    const why = await until('a wait reason', 10, async () => {
      const r = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${third.id}/explain`);
      return r.body.code === 'Resources' ? r.body.message : undefined;
    });
    expect(why).toMatch(/^waiting for 1 free host port/);
    for (const id of [first.id, second.id]) await alice.call('POST', `/api/v1/jobs/${id}/actions`, { action: 'kill' });
    expect((await waitJob(alice, third.id)).status.state).toBe('done');
  });
});

describe('host ports on docker', () => {
  const network = `godocker-ports-${process.pid}-${Date.now()}`;
  let t: TestDaemon;
  let alice: Caller;
  let start: number;

  beforeAll(async () => {
    execFileSync('docker', ['network', 'create', network], { stdio: 'ignore' });
    start = await freePortRange(1);
    t = await startTestDaemon('docker', {
      network: { allowedMode: network },
      ports: { start, range: 1, bindAddress: '127.0.0.1' },
    });
    alice = await t.addUser('alice', 2001, 2002);
  });
  afterAll(async () => {
    await t?.stop();
    execFileSync('docker', ['network', 'rm', network], { stdio: 'ignore' });
  });

  it('publishes the container port on the host port, bound to the pool address', async () => {
    const job = await submit(alice, {
      command: { script: 'echo "from $GODOCKER_PORT_8080" | nc -l -p 8080' },
      container: { ports: [{ containerPort: 8080 }] },
    });
    const started = await waitJob(alice, job.id, 'started');
    expect(started.status.ports).toEqual([
      { containerPort: 8080, protocol: 'tcp', hostPort: start, hostIp: '127.0.0.1', node: started.status.node },
    ]);
    expect((await greeting(start)).trim()).toBe(`from ${start}`);
    expect((await waitJob(alice, job.id)).status.state).toBe('done');
  });

  it('fails a job whose host port a program outside GoDocker holds, and says which', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((done) => squatter.listen(start, '127.0.0.1', done));
    try {
      const job = await t.run(alice, { command: { script: 'true' }, container: { ports: [{ containerPort: 8080 }] } });
      expect(job.status.state).toBe('failed');
      expect(job.status.reason).toMatch(
        new RegExp(
          `host port ${start} \\(for container port 8080/tcp\\) is already in use on node .* by a program outside GoDocker`,
        ),
      );
    } finally {
      await new Promise<void>((done) => squatter.close(() => done()));
    }
    // The port is back in the pool: the next job gets it.
    const next = await t.run(alice, { command: { script: 'true' }, container: { ports: [{ containerPort: 8080 }] } });
    expect(next.status.state).toBe('done');
  });
});

describe('host ports on swarm', () => {
  const network = `godocker-ports-${process.pid}-${Date.now()}`;
  const swarm = (...args: string[]) => execFileSync('docker', ['-H', `unix://${SWARM_SOCKET}`, ...args], { stdio: 'ignore' });
  let t: TestDaemon;
  let alice: Caller;
  let start: number;

  beforeAll(async () => {
    // Host-mode publishing needs the task on a network: an overlay one, made for this test.
    swarm('network', 'create', '-d', 'overlay', '--attachable', network);
    start = await freePortRange(1);
    t = await startTestDaemon('swarm', { network: { allowedMode: network }, ports: { start, range: 1 } });
    alice = await t.addUser('alice', 2001, 2002);
  });
  afterAll(async () => {
    await t?.stop();
    // The network outlives the last task by a moment.
    await until('the test network removed', 30, async () => {
      swarm('network', 'rm', network);
      return true;
    });
  });

  it("publishes the port in host mode on the task's node, at the host port of the pool", async () => {
    const job = await submit(alice, {
      command: { script: 'echo "swarm $GODOCKER_PORT_8080" | nc -l -p 8080' },
      container: { ports: [{ containerPort: 8080 }] },
    });
    const started = await waitJob(alice, job.id, 'started', 60);
    expect(started.status.ports).toEqual([{ containerPort: 8080, protocol: 'tcp', hostPort: start, node: started.status.node }]);
    expect((await greeting(start, 60)).trim()).toBe(`swarm ${start}`);
    expect((await waitJob(alice, job.id)).status.state).toBe('done');
  });
});

describe('host ports on kubernetes', () => {
  let t: TestDaemon;
  let alice: Caller;
  let start: number;

  beforeAll(async () => {
    // Pods of other tests' daemons hold hostPorts too: a range of its own.
    start = await freePortRange(5);
    t = await startTestDaemon('kubernetes', { ports: { start, range: 5 } });
    alice = await t.addUser('alice', 2001, 2002);
  });
  afterAll(async () => t?.stop());

  // The test cluster has no portmap CNI plugin (it adds no iptables rules): the port cannot be
  // reached from the host here, so this checks what the cluster was asked for and what the job sees.
  it("gives the pod's container a hostPort of the pool, and the job its number in env", async () => {
    const job = await submit(alice, {
      command: { script: 'echo "port=$GODOCKER_PORT_8080"; sleep 3' },
      container: { ports: [{ containerPort: 8080 }] },
    });
    const started = await waitJob(alice, job.id, 'started', 60);
    const hostPort = started.status.ports?.[0]?.hostPort as number;
    expect(hostPort).toBe(start);
    const selector = `godocker.cluster=${t.daemon.clusterId},godocker.job=${job.id}`;
    const ports = await until('the pod', 30, async () => {
      const text = kubectl(
        '-n',
        K8S_NAMESPACE,
        'get',
        'pods',
        '-l',
        selector,
        '-o',
        'jsonpath={.items[0].spec.containers[0].ports}',
      );
      return text.trim() === '' ? undefined : JSON.parse(text);
    });
    expect(ports).toEqual([{ containerPort: 8080, hostPort, protocol: 'TCP' }]);
    expect((await waitJob(alice, job.id, 'terminated', 60)).status.state).toBe('done');
    expect((await logsOf(alice, job.id)).trim()).toBe(`port=${hostPort}`);
  });
});
