/** `godocker server`: runs the daemon in this process until Ctrl-C or SIGTERM, then stops it cleanly. */
import { loadLogin, saveLogin } from '@godocker/sdk/client';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { importScheduler } from '../dynamic-imports.js';

interface ServerOptions {
  config?: string;
  quiet?: boolean;
}

export function registerServer(program: Command, ctx: Context): void {
  program
    .command('server')
    .description('run the GoDocker daemon (sqlite store, docker or local executor) until Ctrl-C')
    .option('--config <file>', 'YAML config file (default: $GODOCKER_CONFIG, else built-in defaults)')
    .option('--quiet', 'no daemon log on stderr')
    .action(async (opts: ServerOptions) => {
      // Loaded only here: the other commands should not pay for Fastify, SQLite and the executors.
      const { startDaemon } = await importScheduler();
      const signal = ctx.io.interrupted();
      const daemon = await startDaemon({
        env: ctx.io.env,
        ...(opts.config !== undefined ? { configPath: opts.config } : {}),
        ...(opts.quiet ? { logger: false as const } : {}),
      });
      ctx.out(`GoDocker listening on ${daemon.url} (executor ${daemon.executorName}, data in ${daemon.config.dataDir})\n`);
      if (daemon.adminToken) {
        ctx.out(`admin token (shown once): ${daemon.adminToken}\n`);
        // Like a fresh cluster's kubeconfig: whoever started it can use it at once, unless they already log in elsewhere.
        if (daemon.adminTokenGenerated && loadLogin(ctx.io.env) === null) {
          const path = saveLogin({ url: daemon.url, token: daemon.adminToken }, ctx.io.env);
          ctx.out(`saved as your login in ${path}: \`godocker submit --cmd 'echo hi' --wait\` works now\n`);
        } else {
          ctx.out(`log in with: godocker login --url ${daemon.url} --token ${daemon.adminToken}\n`);
        }
      }
      if (!signal.aborted)
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      ctx.err('stopping...\n');
      await daemon.stop();
      ctx.err('stopped\n');
    });
}
