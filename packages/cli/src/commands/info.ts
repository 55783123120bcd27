/** `godocker info`: what the daemon offers (executor, nodes, images, volumes, limits) and who you are. */
import { formatDuration, formatMemory, type Info } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { formatTable } from '../table.js';

function describe(info: Info, url: string): string {
  let out = `GoDocker ${info.version} at ${url}\n`;
  out += `Executor:  ${info.executor}\n`;
  out += `You:       ${info.user ? `${info.user.name} (uid ${info.user.uid}, gid ${info.user.gid}${info.user.admin ? ', admin' : ''})` : 'not logged in'}\n`;
  out += `Images:    ${info.images.catalogue.join(', ') || '-'} (default ${info.images.default}${info.images.userImagesAllowed ? '; other images allowed' : ''})\n`;
  const l = info.limits;
  out += `Limits:    cpu ${l.maxCpu}, mem ${formatMemory(l.maxRam)}, time ${formatDuration(l.maxTimeLimit)}, script ${l.maxScriptBytes} bytes, array ${l.maxArraySize} tasks\n`;
  out += '\nNodes:\n';
  out += formatTable(
    ['name', 'cpu', 'mem', 'gpus', 'labels'],
    info.nodes.map((n) => [
      n.name,
      String(n.cpu),
      formatMemory(n.ram),
      String(n.gpus),
      Object.entries(n.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    ]),
  );
  if (info.volumes.length) {
    out += '\nVolumes:\n';
    out += formatTable(
      ['name', 'mode', 'path'],
      info.volumes.map((v) => [v.name, v.mode, v.containerPath]),
    );
  }
  return out;
}

export function registerInfo(program: Command, ctx: Context): void {
  program
    .command('info')
    .description('show the daemon: version, executor, nodes, images, volumes, limits, and who you are')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = ctx.client();
      const info = await client.info();
      if (opts.json) ctx.json(info);
      else ctx.out(describe(info, client.url));
    });
}
