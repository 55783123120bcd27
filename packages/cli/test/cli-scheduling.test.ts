/** `godocker submit --dependency`, `godocker why` and `godocker share`. */
import type { Explanation, Job, ShareTreeView } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliHarness, startCliHarness } from './helpers/cli-harness.js';

describe('scheduling commands', () => {
  let h: CliHarness;
  beforeAll(async () => {
    h = await startCliHarness('cli-scheduling');
  });
  afterAll(async () => h?.stop());

  it('submit --dependency runs a job after another, and why explains the wait', async () => {
    const first = JSON.parse((await h.cli(['submit', '--cmd', 'sleep 1', '--json'])).stdout) as Job;
    const second = JSON.parse(
      (await h.cli(['submit', '--cmd', 'echo after', '-d', `afterok:${first.id}`, '--json'])).stdout,
    ) as Job;
    expect(second.dependencies).toEqual([{ type: 'afterok', jobId: first.id }]);
    let why: Explanation | undefined;
    for (let i = 0; i < 50 && why?.code !== 'Dependency'; i++) {
      why = JSON.parse((await h.cli(['why', String(second.id), '--json'])).stdout) as Explanation;
      if (why.code !== 'Dependency') await new Promise((r) => setTimeout(r, 20));
    }
    expect(why?.code).toBe('Dependency');
    const text = await h.cli(['why', String(second.id)]);
    expect(text.stdout).toMatch(new RegExp(`job ${second.id} is pending: .*${first.id}.*\\(Dependency\\)`));
    expect(text.stdout).toMatch(/priority \d\.\d+: fair share/);
    const waited = await h.cli(['wait', String(second.id)]);
    expect(waited.code).toBe(0);
  });

  it('refuses a malformed --dependency with a usage error naming it', async () => {
    const r = await h.cli(['submit', '--cmd', 'true', '--dependency', 'before:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--dependency: invalid dependency "before:1"/);
  });

  it('share shows the tree as a table and as JSON', async () => {
    const table = await h.cli(['share']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^PROJECT\s+USER\s+RAW SHARES/);
    expect(table.stdout).toMatch(/^default\s/m);
    const tree = JSON.parse((await h.cli(['share', '--json'])).stdout) as ShareTreeView;
    expect(tree.rows.find((r) => r.project === 'default' && r.user === 'admin')).toBeDefined();
  });
});
