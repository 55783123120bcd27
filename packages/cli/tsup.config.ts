/**
 * The `godocker` command as one bundle: dist/main.js holds what every command needs
 * (commander, the SDK's HTTP client, the command dispatch), and each command group
 * is a chunk loaded only when the command line names it. The SDK is bundled from its
 * sources; the scheduler (for `godocker server` only) stays an external import.
 */
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts', index: 'src/index.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  splitting: true,
  clean: true,
  sourcemap: true,
  noExternal: ['@godocker/sdk', 'commander'],
  external: ['@godocker/scheduler'],
  // commander is CommonJS: its require() of Node's built-ins needs a real require in ESM output.
  banner: {
    js: "import { createRequire as __godockerRequire } from 'node:module'; const require = __godockerRequire(import.meta.url);",
  },
  esbuildOptions(options) {
    options.conditions = ['@godocker/source'];
  },
  dts: { entry: { index: 'src/index.ts' }, compilerOptions: { composite: false, customConditions: ['@godocker/source'] } },
});
