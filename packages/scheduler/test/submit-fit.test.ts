/**
 * Whether a submit could ever run somewhere: it is refused (GOD_LIMIT_EXCEEDED) only when no node
 * could hold it, even empty; a node that other workloads fill now (a Kubernetes node shared
 * with other pods: `total` above `cpu`) takes it later, so the submit is taken and waits.
 */
import { ErrorCodes, type NodeInfo } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { checkFitsSomeNode } from '../src/runtime/submission.js';

const job = { cpu: 0.5, ram: 64, gpus: 0, labels: {} };

describe('checkFitsSomeNode', () => {
  it('takes a job a node busy with other workloads could hold once they are gone', () => {
    const busy: NodeInfo = { name: 'k8s-1', cpu: 0, ram: 100, gpus: 0, labels: {}, total: { cpu: 2, ram: 4096, gpus: 0 } };
    expect(() => checkFitsSomeNode(job, [busy])).not.toThrow();
  });

  it('refuses a job no node could ever hold, naming what the largest node has in all', () => {
    const node: NodeInfo = { name: 'k8s-1', cpu: 0, ram: 100, gpus: 0, labels: {}, total: { cpu: 2, ram: 4096, gpus: 0 } };
    let error: unknown;
    try {
      checkFitsSomeNode({ ...job, cpu: 4 }, [node]);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: ErrorCodes.LIMIT_EXCEEDED, message: 'needs 4 cpu; the largest node has 2' });
  });

  it('goes by what a node reports when it says nothing of a total', () => {
    const node: NodeInfo = { name: 'docker', cpu: 1, ram: 1024, gpus: 0, labels: {} };
    expect(() => checkFitsSomeNode({ ...job, cpu: 2 }, [node])).toThrow(/needs 2 cpu; the largest node has 1/);
  });
});
