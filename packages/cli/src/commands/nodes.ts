/** `godocker nodes` (like Slurm's sinfo) and `godocker node drain|resume NODE` (admin). */
import { formatMemory, type NodeView } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatTable } from '../table.js';

function nodesTable(nodes: readonly NodeView[]): string {
  return formatTable(
    ['node', 'state', 'cpu', 'mem', 'gpus', 'jobs', 'labels', 'reason'],
    nodes.map((n) => [
      n.name,
      n.state,
      `${n.used.cpu}/${n.capacity.cpu}`,
      `${formatMemory(n.used.ram)}/${formatMemory(n.capacity.ram)}`,
      `${n.used.gpus}/${n.capacity.gpus}`,
      String(n.jobs),
      Object.entries(n.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '-',
      [n.downReason, n.drain ? `${n.drain.reason} (${n.drain.by}, ${n.drain.at})` : null].filter(Boolean).join('; '),
    ]),
  );
}

export function registerNodes(program: Command, ctx: Context): void {
  program
    .command('nodes')
    .description('list the nodes: state, cpu/mem/gpus used of total, running jobs, labels (like sinfo)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const nodes = await ctx.client().nodes();
      if (opts.json) ctx.json(nodes);
      else ctx.out(nodesTable(nodes));
    });

  const node = program.command('node').description('drain or resume a node (admin)');
  node
    .command('drain')
    .description('take a node out of scheduling: no new job starts there, running jobs go on')
    .argument('<NODE>', 'node name, as `godocker nodes` lists it')
    .option('--reason <TEXT>', 'why, shown by `godocker nodes` and in the wait reason of jobs only it can run')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { reason?: string; json?: boolean }) => {
      const view = await ctx.client().drainNode(name, opts.reason);
      if (opts.json) ctx.json(view);
      else ctx.out(`node ${view.name} drained: ${view.drain?.reason ?? ''} (${view.jobs} running job(s) go on)\n`);
    });
  node
    .command('resume')
    .description('let a drained node take new jobs again')
    .argument('<NODE>', 'node name')
    .option('--json', 'print as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const view = await ctx.client().resumeNode(name);
      if (opts.json) ctx.json(view);
      else ctx.out(`node ${view.name} ready\n`);
    });
}
