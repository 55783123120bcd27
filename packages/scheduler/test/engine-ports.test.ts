/**
 * Host ports as a node resource in one pass of the engine: a job is placed only where its
 * node's pool has enough free, what running jobs hold is counted, and a job that waits for
 * ports says so with the pool's numbers.
 */
import type { HostPort, Job, NodeInfo } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type EngineInput, schedule } from '../src/engine/schedule.js';
import { job, node, running, T0 } from './sim/builders.js';

function pass(input: Partial<EngineInput> & Pick<EngineInput, 'pending' | 'nodes'>) {
  return schedule({ now: T0, active: [], policy: 'fifo', ...input });
}

function pooled(n: NodeInfo, start: number, range: number): NodeInfo {
  return { ...n, ports: { start, range } };
}

/** A job asking for `count` container ports (8080, 8081, ...). */
function asking(j: Job, count: number): Job {
  const ports = Array.from({ length: count }, (_, i) => ({ containerPort: 8080 + i, protocol: 'tcp' as const }));
  return { ...j, container: { ...j.container, ports } };
}

/** A running job holding these host ports of its node. */
function holding(j: Job, hostPorts: number[]): Job {
  const node = j.status.node ?? '';
  const ports: HostPort[] = hostPorts.map((hostPort, i) => ({ containerPort: 8080 + i, protocol: 'tcp', hostPort, node }));
  return { ...asking(j, hostPorts.length), status: { ...j.status, ports } };
}

describe('host ports', () => {
  it('places a job only on a node with enough free ports, counting what running jobs hold', () => {
    const nodes = [pooled(node('n1', 16), 20000, 2), pooled(node('n2', 16), 20000, 3)];
    const active = [holding(running(10, 'n1'), [20000])];
    const out = pass({ pending: [asking(job(1), 2), asking(job(2), 1), job(3)], active, nodes });
    // n1 has 1 port left: job 1 (2 ports) goes to n2, job 2 (1 port) fits n1, job 3 asks none.
    expect(out.start).toEqual([
      { jobId: 1, node: 'n2' },
      { jobId: 2, node: 'n1' },
      { jobId: 3, node: 'n1' },
    ]);
  });

  it('keeps a job pending when every pool is in use, and says which pool', () => {
    const nodes = [pooled(node('n1', 16), 20000, 2), pooled(node('n2', 16), 20000, 2)];
    const active = [holding(running(10, 'n1'), [20000, 20001]), holding(running(11, 'n2'), [20000, 20001])];
    const out = pass({ pending: [asking(job(1), 2), job(2)], active, nodes });
    expect(out.start).toEqual([{ jobId: 2, node: 'n1' }]);
    const reason = out.waiting.get(1);
    expect(reason?.code).toBe('Resources');
    expect(reason?.message).toMatch(
      /^waiting for 2 free host ports: the pool 20000-20001 on every node is in use; expected to start by /,
    );
  });

  it('says how many are free when some are, but not enough on one node', () => {
    const nodes = [pooled(node('n1', 16), 20000, 3)];
    const active = [holding(running(10, 'n1'), [20000, 20001])];
    const out = pass({ pending: [asking(job(1), 2)], active, nodes });
    expect(out.waiting.get(1)?.message).toMatch(
      /^waiting for 2 free host ports: at most 1 of the pool 20000-20002 are free on one node/,
    );
  });

  it('says NoNodeFits when no pool is large enough, or no node has one', () => {
    const out = pass({ pending: [asking(job(1), 3)], nodes: [pooled(node('n1', 16), 20000, 2), node('bare', 16)] });
    expect(out.waiting.get(1)).toEqual({ code: 'NoNodeFits', message: 'needs 3 host ports; the largest node has 2 host ports' });
  });

  it('reserves the node whose ports free first, and backfills only what does not delay it', () => {
    const nodes = [pooled(node('n1', 16), 20000, 2)];
    // Holds both ports for an hour.
    const active = [holding(running(10, 'n1', { limit: 3600, startedAt: T0 }), [20000, 20001])];
    const out = pass({ pending: [asking(job(1), 1), asking(job(2, { limit: 60 }), 1)], active, nodes });
    expect(out.start).toEqual([]);
    expect(out.reservations).toEqual([{ jobId: 1, node: 'n1', at: T0 + 3600_000 }]);
  });

  it('a job with no ports is placed as before on a node without a pool', () => {
    const out = pass({ pending: [job(1)], nodes: [node('bare', 16)] });
    expect(out.start).toEqual([{ jobId: 1, node: 'bare' }]);
  });
});
