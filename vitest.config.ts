import { defineConfig } from 'vitest/config';

// Tests resolve sibling packages to their src/ through the "@godocker/source"
// export condition, so no build is needed to run them.
const conditions = ['@godocker/source', 'node', 'import', 'default'];
const nodeConditions = ['@godocker/source', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  // Vitest hands the ssr conditions to Node as --conditions, where `import` would apply to require()
  // too: ws's require would get its ESM wrapper and the kubernetes client's exec no WebSocket class.
  // Node and Vite add import/require by the kind of each import themselves.
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Debian's Grid Engine libdrmaa.so links libjemalloc, which needs static TLS a
    // running Node has no more of: only the environment a process starts with helps.
    env: { GLIBC_TUNABLES: 'glibc.rtld.optional_static_tls=8192' },
    // Two cores and one shared Docker engine: more workers only add contention.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
