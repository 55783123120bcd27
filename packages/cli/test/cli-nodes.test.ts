/** `godocker nodes`, `godocker node drain|resume` and `submit --constraint` against a live daemon (the harness's, as its admin). */
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

  it('submit --constraint asks for node labels: runs where they are, is refused where no node has them', async () => {
    const refused = await h.cli(['submit', '--cmd', 'true', '--constraint', 'disk=nvme', '--constraint', 'rack=r9']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('no node has the labels {"disk":"nvme","rack":"r9"}');
    const bad = await h.cli(['submit', '--cmd', 'true', '--constraint', 'disk']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('invalid --constraint "disk": use KEY=VALUE')]);
    const twice = await h.cli(['submit', '--cmd', 'true', '--constraint', 'disk=a', '--constraint', 'disk=b']);
    expect([twice.code, twice.stderr]).toEqual([2, expect.stringContaining('--constraint disk is given twice, as a and b')]);
    // The harness's node carries disk=ssd.
    const ran = await h.cli(['submit', '--cmd', 'echo on-ssd', '--constraint', 'disk=ssd', '--wait']);
    expect([ran.code, ran.stdout]).toEqual([0, 'on-ssd\n']);
  });

  it('says which node is unknown, and exits non-zero', async () => {
    const r = await h.cli(['node', 'drain', 'nosuch']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no node named "nosuch"/);
  });
});
