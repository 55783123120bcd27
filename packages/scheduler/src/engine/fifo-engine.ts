/**
 * The scheduling engine, first cut: FIFO by (priority, id) over pending jobs,
 * each placed on the first node with enough free cpu, ram and gpus. A pure
 * function: the clock, the jobs and the nodes are its inputs, decisions its output.
 */
import type { Job, NodeInfo } from '@godocker/sdk';
import { formatMemory } from '@godocker/sdk';

export interface EngineInput {
  /** ms since the epoch; passed in, never read here. */
  now: number;
  /** Jobs that may start, in any order; arrays' parents excluded. */
  pending: readonly Job[];
  /** Jobs holding resources (running or suspended), with `status.node` set. */
  active: readonly Job[];
  nodes: readonly NodeInfo[];
}

export interface Placement {
  jobId: number;
  node: string;
}

/** Slurm's words where they fit. */
export type WaitCode = 'Resources' | 'NoNodeFits';

export interface WaitReason {
  code: WaitCode;
  message: string;
}

export interface EngineOutput {
  start: Placement[];
  waiting: Map<number, WaitReason>;
}

interface Free {
  node: NodeInfo;
  cpu: number;
  ram: number;
  gpus: number;
}

const EPS = 1e-9;

function fits(job: Job, f: { cpu: number; ram: number; gpus: number }): boolean {
  const r = job.requirements;
  return r.cpu <= f.cpu + EPS && r.ram <= f.ram && r.gpus <= f.gpus;
}

function labelsMatch(job: Job, node: NodeInfo): boolean {
  for (const [k, v] of Object.entries(job.requirements.labels)) if (node.labels[k] !== v) return false;
  return true;
}

export function byPriorityThenAge(a: Job, b: Job): number {
  return b.priority - a.priority || a.id - b.id;
}

export function schedule(input: EngineInput): EngineOutput {
  const free = new Map<string, Free>();
  for (const node of input.nodes) free.set(node.name, { node, cpu: node.cpu, ram: node.ram, gpus: node.gpus });
  for (const job of input.active) {
    const f = job.status.node === null ? undefined : free.get(job.status.node);
    if (!f) continue;
    f.cpu -= job.requirements.cpu;
    f.ram -= job.requirements.ram;
    f.gpus -= job.requirements.gpus;
  }
  const frees = [...free.values()];
  const start: Placement[] = [];
  const waiting = new Map<number, WaitReason>();

  for (const job of [...input.pending].sort(byPriorityThenAge)) {
    const candidates = frees.filter((f) => labelsMatch(job, f.node));
    const target = candidates.find((f) => fits(job, f));
    if (target) {
      target.cpu -= job.requirements.cpu;
      target.ram -= job.requirements.ram;
      target.gpus -= job.requirements.gpus;
      start.push({ jobId: job.id, node: target.node.name });
      continue;
    }
    waiting.set(job.id, explainNoFit(job, candidates));
  }
  return { start, waiting };
}

function explainNoFit(job: Job, candidates: Free[]): WaitReason {
  const r = job.requirements;
  if (candidates.length === 0) {
    return { code: 'NoNodeFits', message: `no node has the labels ${JSON.stringify(r.labels)}` };
  }
  const everFits = candidates.some((f) => fits(job, f.node));
  if (!everFits) {
    const biggest = candidates.reduce((a, b) => (b.node.cpu > a.node.cpu ? b : a));
    return {
      code: 'NoNodeFits',
      message: `needs ${r.cpu} cpu, ${formatMemory(r.ram)} ram, ${r.gpus} gpus; the largest node (${biggest.node.name}) has ${biggest.node.cpu} cpu, ${formatMemory(biggest.node.ram)}, ${biggest.node.gpus} gpus`,
    };
  }
  const best = candidates.reduce((a, b) => (b.cpu > a.cpu ? b : a));
  const needs = `needs ${r.cpu} cpu and ${formatMemory(r.ram)} ram; the most free node (${best.node.name}) has ${round(best.cpu)} cpu and ${formatMemory(Math.max(0, best.ram))} free`;
  return { code: 'Resources', message: needs };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
