#!/usr/bin/env node
/**
 * The `godocker` executable: runs the bundle (cli.cjs, next to this file) from V8's
 * code cache. Node 20 has no compile cache of its own (module.enableCompileCache
 * came in 22.1), and compiling the bundle is most of what a command costs above
 * Node's own start. The cache is written at exit whenever it is missing or V8
 * rejected it (another Node version, other flags); a read-only install just runs
 * without one. `npm run build` writes the first one.
 *
 * V8 checks a cache against the length of the source only, so the cache file is
 * named after the bundle's size and mtime: a changed bundle never meets an old cache.
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { constants, Script } from 'node:vm';

const bundle = join(__dirname, 'cli.cjs');
const source = readFileSync(bundle, 'utf8');
const { size, mtimeMs } = statSync(bundle);
const cacheFile = join(__dirname, `cli.cjs.${size}-${Math.trunc(mtimeMs)}.v8cache`);

let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // none yet: this run writes it
}

const script = new Script(Module.wrap(source), {
  filename: bundle,
  ...(cachedData ? { cachedData } : {}),
  // `godocker server` imports the scheduler (ESM) from inside the bundle.
  importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});

if (!cachedData || script.cachedDataRejected) {
  // At exit, so the cache holds the functions this run compiled too, not only the top level.
  process.once('exit', () => {
    try {
      const partial = `${cacheFile}.${process.pid}`;
      writeFileSync(partial, script.createCachedData());
      renameSync(partial, cacheFile);
    } catch {
      // a read-only install runs without a cache
    }
  });
}

const bundleModule = { exports: {} };
script.runInThisContext()(bundleModule.exports, createRequire(bundle), bundleModule, bundle, __dirname);
