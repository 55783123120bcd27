/**
 * The sentence of a waiting job's reason, from what the pass left behind.
 * Called when someone reads the reason, after the pass: numbers are those of
 * the cluster as the pass left it (what is free, what each user holds), which
 * is what the user sees when they ask.
 */
import type { Job, NodeInfo } from '@godocker/sdk';
import type { AccountState } from './accounts.js';
import type { Reservation } from './backfill.js';
import type { Pool } from './cluster.js';
import { type DependencyStates, neverMet, waitingSentence } from './dependencies.js';
import type { Ranking } from './policy.js';
import { quotaOfCode, type WaitCode } from './reasons.js';
import {
  type Blocking,
  beginTimeSentence,
  labelsText,
  noNodeSentence,
  portsSentence,
  prioritySentence,
  quotaSentence,
  reservationText,
  resourcesSentence,
  throttleSentence,
} from './wait-sentences.js';

/** How a `Priority` job is held back. */
export const BEHIND = 1;
export const RESERVED = 2;
export const STRICT = 3;
export type BlockKind = typeof BEHIND | typeof RESERVED | typeof STRICT;

/** A throttled array during the pass: its `%N` and its tasks running (those started by the pass included). */
export interface ArrayCount {
  throttle: number;
  running: number;
}

/** What a pass knows, by pending index. */
export interface PassFacts {
  /** The pass's clock, ms since the epoch. */
  now: number;
  jobs: readonly Job[];
  nodes: readonly NodeInfo[];
  strict: boolean;
  depStates: DependencyStates;
  ranking: Ranking;
  pool(index: number): Pool;
  account(index: number): AccountState;
  array(parentId: number): ArrayCount | undefined;
  /** The job a `Priority` job waits behind (a pending index), and how. */
  blocker(index: number): { index: number; kind: BlockKind };
  reservation(index: number): Reservation | undefined;
  /** ms since the epoch of a `BeginTime` job's begin time. */
  beginAt(index: number): number;
}

function nodeName(f: PassFacts, k: number): string {
  return f.nodes[k]?.name ?? String(k);
}

/** The job a `Priority` job waits behind, and how. */
export function blockingOf(f: PassFacts, i: number): Blocking {
  const b = f.blocker(i);
  const jobId = f.jobs[b.index]?.id ?? 0;
  const priority = f.ranking.priority[b.index] ?? 0;
  const res = f.reservation(b.index);
  if (b.kind === RESERVED && res) return { kind: 'reservation', jobId, at: res.at, node: nodeName(f, res.node) };
  if (b.kind === STRICT) return { kind: 'strict', jobId, priority };
  return { kind: 'behind', jobId, priority };
}

/** The port pools of a pool's nodes, as "20000-20099" (or several, comma-separated). */
function poolsText(f: PassFacts, pool: Pool): string {
  const texts = new Set<string>();
  for (const k of pool.nodes) {
    const p = f.nodes[k]?.ports;
    if (p) texts.add(`${p.start}-${p.start + p.range - 1}`);
  }
  return [...texts].join(', ') || 'none';
}

export function explainWait(f: PassFacts, i: number, code: WaitCode): string {
  const job = f.jobs[i] as Job;
  const req = { ...job.requirements, ports: job.container.ports?.length ?? 0 };
  const pool = f.pool(i);
  switch (code) {
    case 'Dependency':
      return waitingSentence(job.dependencies, f.depStates);
    case 'BeginTime':
      return beginTimeSentence(f.beginAt(i), f.now);
    case 'DependencyNeverSatisfied':
      return neverMet(job.dependencies, f.depStates)?.reason ?? 'a dependency can never be met';
    case 'JobArrayTaskLimit': {
      const a = job.parentId === null ? undefined : f.array(job.parentId);
      return throttleSentence(job.parentId ?? 0, a?.running ?? 0, a?.throttle ?? 0);
    }
    case 'NoNodeFits': {
      const c = pool.capacity;
      const max = { cpu: c.maxCpu, ram: c.maxRam, gpus: c.maxGpus, ports: c.maxPorts };
      return noNodeSentence(req, pool.labels, pool.nodes.length, max);
    }
    case 'Resources': {
      const free = pool.free;
      // Cpu, ram and gpus are there, on some node: only the ports are short, and that is what to say.
      const portsOnly = req.ports > 0 && free.maxPorts < req.ports && free.mayFit(req.cpu, req.ram, req.gpus);
      const text = portsOnly
        ? portsSentence(req.ports, free.maxPorts, poolsText(f, pool), labelsText(pool.labels))
        : resourcesSentence(
            req,
            { cpu: free.maxCpu, ram: free.maxRam, gpus: free.maxGpus, ports: free.maxPorts },
            labelsText(pool.labels),
          );
      const res = f.reservation(i);
      if (res) return `${text}; ${reservationText(res.at, nodeName(f, res.node))}`;
      return f.strict ? `${text}; lower-priority jobs wait behind it (backfill is off)` : text;
    }
    case 'Priority':
      return prioritySentence(blockingOf(f, i), f.ranking.breakdown(i));
    default: {
      const q = quotaOfCode(code);
      if (!q) return code;
      const account = f.account(i);
      return quotaSentence(q.scope === 'user' ? account.userQuota : account.projectQuota, q.breach, req);
    }
  }
}
