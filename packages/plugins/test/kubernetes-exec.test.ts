/**
 * The kubernetes executor's exec against the real one-node test cluster (scripts/k8s-up.sh):
 * a command in a running job's pod through the API server's websocket, with stdin, its exit
 * code, the job's uid, and a terminal that follows a resize.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecRequest, Executor, TaskHandle } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKubernetesExecutor } from '../src/index.js';
import { K8S_NODE, KUBECONFIG, requireKubernetes, testNamespace } from './helpers/kubernetes.js';
import { makeRunSpec, testLogger } from './helpers/run-spec.js';

const clusterId = `k8sexec-${process.pid}-${Date.now().toString(36)}`;
let executor: Executor;
let scratch: string;
let ns: { name: string; remove: () => void };
let handle: TaskHandle;

const request = (command: string, o: Partial<ExecRequest> = {}): ExecRequest => ({
  command: ['/bin/sh', '-c', command],
  uid: 1234,
  gid: 4321,
  env: { GREETING: 'hello from env' },
  workdir: null,
  tty: null,
  ...o,
});

beforeAll(async () => {
  requireKubernetes();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-k8s-exec-'));
  ns = testNamespace('gdk8sexec');
  executor = await createKubernetesExecutor(
    { kubeconfig: KUBECONFIG, namespace: ns.name, killGraceSeconds: 2, imagePullPolicy: 'Never' },
    { clusterId, dataDir: '/tmp', logger: testLogger },
  );
  const spec = makeRunSpec(clusterId, 1, {
    jobDir: join(scratch, '1'),
    node: K8S_NODE,
    script: 'sleep 300',
    uid: 1234,
    gid: 4321,
  });
  handle = await executor.start(spec);
  // Running once a command can be run in it.
  const end = Date.now() + 60_000;
  for (;;) {
    const status = await executor.status(handle);
    if (status.state === 'running') break;
    if (Date.now() > end) throw new Error(`the test pod did not start: ${JSON.stringify(status)}`);
    await delay(300);
  }
}, 90_000);

afterAll(async () => {
  if (handle) await executor?.kill(handle, 0).catch(() => undefined);
  await executor?.close();
  ns?.remove();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('kubernetes executor: exec', () => {
  it('says it can, runs a command as the job\u2019s uid with its env and workdir, passes stdin and the exit code', async () => {
    expect(executor.features(K8S_NODE).exec).toBe(true);
    const exec = executor.exec?.bind(executor);
    if (!exec) throw new Error('the kubernetes executor has no exec');
    const id = await exec(handle, request('id -u; id -g; pwd; echo "$GREETING"; echo oops >&2; exit 7', { workdir: '/tmp' }));
    const [out, err, code] = await Promise.all([text(id.stdout), text(id.stderr), id.exit]);
    expect([out, err, code]).toEqual(['1234\n4321\n/tmp\nhello from env\n', 'oops\n', 7]);

    const cat = await exec(handle, request('cat; echo "[$?]"'));
    cat.stdin.end('through stdin\n');
    expect([await text(cat.stdout), await cat.exit]).toEqual(['through stdin\n[0]\n', 0]);

    // Another uid cannot be had: refused, not run as the pod's.
    await expect(exec(handle, request('id -u', { uid: 0, gid: 0 }))).rejects.toThrow(/cannot run as 0:0/);
  }, 60_000);

  it('gives a terminal of the asked size that follows a resize', async () => {
    const exec = executor.exec?.bind(executor);
    if (!exec) throw new Error('the kubernetes executor has no exec');
    const shell = await exec(handle, request('exec /bin/sh', { tty: { rows: 30, cols: 100 }, env: { TERM: 'xterm' } }));
    let out = '';
    shell.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const seen = async (what: string) => {
      const end = Date.now() + 20_000;
      while (!out.includes(what)) {
        if (Date.now() > end) throw new Error(`no "${what}" in: ${out}`);
        await delay(100);
      }
    };
    // Sizes travel on their own websocket channel, the first one too (as kubectl exec -t sends
    // it): a command the shell runs before it arrives sees no size, so ask until the terminal has it.
    const askUntil = async (size: string) => {
      const end = Date.now() + 20_000;
      while (!out.includes(size) && Date.now() < end) {
        shell.stdin.write('stty size\n');
        await delay(300);
      }
    };
    await askUntil('30 100');
    await seen('30 100');
    await shell.resize(50, 132);
    await askUntil('50 132');
    shell.stdin.write('tty\n');
    await seen('50 132');
    await seen('/dev/pts/');
    expect(out).toMatch(/\/dev\/pts\/\d+/);
    shell.stdin.write('exit 3\n');
    expect(await shell.exit).toBe(3);
  }, 60_000);
});
