/** `godocker status`: every daemon of the site, its role, version, address and heartbeat, and whether its executors answer. */
import type { SiteStatus } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatTable } from '../table.js';

function describe(status: SiteStatus, now: number): string {
  return formatTable(
    ['daemon', 'role', 'epoch', 'version', 'address', 'heartbeat', 'executors'],
    status.daemons.map((d) => [
      d.id,
      d.stale ? `${d.role} (stale)` : d.role,
      d.epoch === null ? '-' : String(d.epoch),
      d.version,
      d.url,
      `${Math.max(0, Math.round((now - Date.parse(d.heartbeatAt)) / 1000))}s ago`,
      d.executors.map((e) => `${e.name}${e.answers ? '' : ' (down)'}`).join(',') || '-',
    ]),
  );
}

export function registerStatus(program: Command, ctx: Context): void {
  program
    .command('status')
    .description('show every daemon of the site: role (leader, follower), version, address, last heartbeat, executors')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await ctx.client().status();
      if (opts.json) ctx.json(status);
      else ctx.out(describe(status, Date.now()));
    });
}
