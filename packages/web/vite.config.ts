/**
 * The dashboard's build: static files in dist/ that the daemon serves at `/`. Everything the
 * page loads is bundled here (no CDN, no web font), and each asset gets a .br and .gz copy
 * the daemon sends to browsers that accept them.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

function precompress(outDir: string): Plugin {
  return {
    name: 'godocker-precompress',
    apply: 'build',
    closeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir)) {
        if (!/\.(js|css|html|svg|json)$/.test(file)) continue;
        const bytes = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
        writeFileSync(`${file}.br`, brotliCompressSync(bytes));
      }
    },
  };
}

/** A Node module reaching the page's bundle is an error, not the warning and empty shim Vite would give. */
function noNodeModules(): Plugin {
  const builtins = new Set(builtinModules);
  return {
    name: 'godocker-no-node-modules',
    enforce: 'pre',
    resolveId(id, importer) {
      if (id.startsWith('node:') || builtins.has(id)) {
        this.error(`${importer ?? 'the page'} imports the Node module "${id}": the dashboard runs in a browser`);
      }
      return null;
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  // The SDK's sources, as the rest of the workspace resolves them: no SDK build needed first.
  resolve: { conditions: ['@godocker/source', 'browser', 'module', 'import', 'default'] },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Small enough to inline nothing: every asset is a file the daemon serves, under one CSP.
    assetsInlineLimit: 0,
  },
  plugins: [noNodeModules(), precompress(join(import.meta.dirname, 'dist'))],
});
