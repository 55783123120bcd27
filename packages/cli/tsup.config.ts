/**
 * Two builds. The library (dist/index.js, `import { run } from '@godocker/cli'`): ESM,
 * one chunk per command group, loaded when the command line names it. The executable:
 * dist/cli.cjs, the whole command line client in one CommonJS file that bin.ts
 * (dist/godocker.cjs, the `godocker` bin) runs from V8's code cache; in it too a
 * command group's module is initialised only when named. CommonJS because Node 20
 * can hand V8 a code cache only for scripts, not for ES modules.
 *
 * The SDK is bundled from its sources (only `@godocker/sdk/client`: no TypeBox); the
 * scheduler, which only `godocker server` needs, stays an external import.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const common: Options = {
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  sourcemap: true,
  // Otherwise tsup resolves every node: import itself, before the plugin below sees child_process.
  removeNodeProtocol: false,
  noExternal: ['@godocker/sdk', 'commander'],
  external: ['@godocker/scheduler'],
  esbuildOptions(options) {
    options.conditions = ['@godocker/source'];
  },
  esbuildPlugins: [
    {
      // See src/commander-child-process.ts.
      name: 'commander-without-child-process',
      setup(build) {
        build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
          /[\\/]commander[\\/]/.test(args.importer)
            ? { path: fileURLToPath(new URL('src/commander-child-process.ts', import.meta.url)) }
            : undefined,
        );
      },
    },
  ],
};

export default defineConfig([
  {
    ...common,
    entry: { index: 'src/index.ts' },
    format: 'esm',
    splitting: true,
    clean: true,
    // commander is CommonJS: its require() of Node's built-ins needs a real require in ESM output.
    banner: {
      js: "import { createRequire as __godockerRequire } from 'node:module'; const require = __godockerRequire(import.meta.url);",
    },
    dts: { entry: { index: 'src/index.ts' }, compilerOptions: { composite: false, customConditions: ['@godocker/source'] } },
  },
  {
    ...common,
    entry: { cli: 'src/main.ts', godocker: 'src/bin.ts', 'dynamic-imports': 'src/dynamic-imports.ts' },
    format: 'cjs',
    outExtension: () => ({ js: '.cjs' }),
    esbuildPlugins: [
      ...(common.esbuildPlugins ?? []),
      {
        // See src/dynamic-imports.ts: its import() calls must run outside the code-cached bundle.
        name: 'dynamic-imports-outside-the-bundle',
        setup(build) {
          build.onResolve({ filter: /\/dynamic-imports\.js$/ }, () => ({ path: './dynamic-imports.cjs', external: true }));
        },
      },
    ],
  },
]);
