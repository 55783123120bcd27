/**
 * The dashboard's build: static files in dist/ that the daemon serves at `/`. Everything the
 * page loads is bundled here (no CDN, no web font), and each asset gets a .br and .gz copy
 * the daemon sends to browsers that accept them.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
  plugins: [precompress(join(import.meta.dirname, 'dist'))],
});
