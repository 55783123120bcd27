/** Which pool each node has, and which host ports a placed job gets from it. */
import { EXECUTOR_LABEL, type Job, type NodeInfo } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type GodockerConfig, loadConfig } from '../src/index.js';
import { allocatePorts, portsInUse, withPortPools } from '../src/runtime/port-pools.js';
import { job, node, running } from './sim/builders.js';

function config(overrides: Record<string, unknown>): GodockerConfig {
  return loadConfig({ env: {}, overrides });
}

function asking(j: Job, ...containerPorts: number[]): Job {
  return {
    ...j,
    container: { ...j.container, ports: containerPorts.map((containerPort) => ({ containerPort, protocol: 'tcp' })) },
  };
}

describe('port pools', () => {
  it("gives each node its executor's pool, else the top-level one, and none where ports cannot be published", () => {
    const c = config({
      ports: { start: 30000, range: 10 },
      executors: [
        { name: 'a', type: 'local' },
        { name: 'b', type: 'local', ports: { start: 40000, range: 5 } },
        { name: 'c', type: 'local' },
      ],
    });
    const on = (name: string, executor: string): NodeInfo => ({ ...node(name, 4), labels: { [EXECUTOR_LABEL]: executor } });
    const nodes = withPortPools([on('n1', 'a'), on('n2', 'b'), on('n3', 'c')], c, (n) => n.name !== 'n3');
    expect(nodes.map((n) => n.ports)).toEqual([{ start: 30000, range: 10 }, { start: 40000, range: 5 }, undefined]);
  });

  it('hands out the lowest free ports, never one a running job holds, and none when too few are left', () => {
    const n1: NodeInfo = { ...node('n1', 4), ports: { start: 20000, range: 3 } };
    const holder = running(1, 'n1');
    holder.status.ports = [{ containerPort: 80, protocol: 'tcp', hostPort: 20000, node: 'n1' }];
    const used = portsInUse([holder]);
    const got = allocatePorts(asking(job(2), 8080, 8081), n1, used, '127.0.0.1');
    expect(got).toEqual([
      { containerPort: 8080, protocol: 'tcp', hostPort: 20001, node: 'n1', hostIp: '127.0.0.1' },
      { containerPort: 8081, protocol: 'tcp', hostPort: 20002, node: 'n1', hostIp: '127.0.0.1' },
    ]);
    // Those two are now taken too: the pool is empty.
    expect(allocatePorts(asking(job(3), 8080), n1, used, undefined)).toBeNull();
    expect(allocatePorts(job(4), n1, used, undefined)).toEqual([]);
    expect(allocatePorts(asking(job(5), 8080), node('bare', 4), used, undefined)).toBeNull();
  });
});
