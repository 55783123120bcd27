/** `godocker nodes` and `godocker node drain|resume` against a live daemon (the harness's, as its admin). */
import type { NodeView } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliHarness, startCliHarness } from './helpers/cli-harness.js';

describe('node commands', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness('cli-nodes');
  });
  afterAll(async () => h?.stop());

  it('lists the nodes, drains one with a reason, and resumes it', async () => {
    const [node] = JSON.parse((await h.cli(['nodes', '--json'])).stdout) as NodeView[];
    const name = (node as NodeView).name;
    const table = await h.cli(['nodes']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NODE\s+STATE\s+CPU\s+MEM\s+GPUS\s+JOBS\s+LABELS\s+REASON/);
    expect(table.stdout).toMatch(new RegExp(`^${name}\\s+ready\\s+0/\\d+`, 'm'));

    const drained = await h.cli(['node', 'drain', name, '--reason', 'new disks']);
    expect([drained.code, drained.stdout]).toEqual([0, `node ${name} drained: new disks (0 running job(s) go on)\n`]);
    expect((await h.cli(['nodes'])).stdout).toMatch(new RegExp(`^${name}\\s+drained\\s.*new disks \\(admin, `, 'm'));

    const resumed = await h.cli(['node', 'resume', name]);
    expect([resumed.code, resumed.stdout]).toEqual([0, `node ${name} ready\n`]);
    expect((JSON.parse((await h.cli(['nodes', '--json'])).stdout) as NodeView[])[0]?.state).toBe('ready');
  });

  it('says which node is unknown, and exits non-zero', async () => {
    const r = await h.cli(['node', 'drain', 'nosuch']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no node named "nosuch"/);
  });
});
