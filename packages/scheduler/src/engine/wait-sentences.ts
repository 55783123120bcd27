/**
 * The sentences of wait reasons, with the numbers a user needs to act:
 * "project genomics uses 32 of its 32 cpu; the job needs 4",
 * "needs 8 cpu; the largest free node has 6".
 */
import { formatDuration, formatMemory } from '@godocker/sdk';
import { describePriority, type PriorityBreakdown } from './priority.js';
import {
  QUOTA_CPU,
  QUOTA_CPU_TIME,
  QUOTA_GPUS,
  QUOTA_RAM,
  QUOTA_RUNNING_JOBS,
  type QuotaBreach,
  type QuotaHolder,
} from './quotas.js';

export interface Request {
  cpu: number;
  ram: number;
  gpus: number;
  /** Host ports (its container ports); absent: none. */
  ports?: number;
}

/** 0.1 + 0.2 shows as 0.3. */
export function formatCpu(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

function gpus(n: number): string {
  return `${n} gpu${n === 1 ? '' : 's'}`;
}

function hostPorts(n: number): string {
  return `${n} host port${n === 1 ? '' : 's'}`;
}

function owner(h: QuotaHolder): string {
  return `${h.scope} ${h.name}`;
}

function its(h: QuotaHolder): string {
  return h.scope === 'user' ? 'their' : 'its';
}

/** When the job alone is larger than the quota: only an admin can let it run. */
function beyondQuota(h: QuotaHolder, breach: QuotaBreach, req: Request): string | undefined {
  const whole = `more than ${owner(h)}'s whole quota of`;
  const until = 'it waits until the quota is raised';
  if (breach === QUOTA_CPU && req.cpu > h.maxCpu)
    return `the job needs ${formatCpu(req.cpu)} cpu, ${whole} ${formatCpu(h.maxCpu)}; ${until}`;
  if (breach === QUOTA_RAM && req.ram > h.maxRam)
    return `the job needs ${formatMemory(req.ram)} ram, ${whole} ${formatMemory(h.maxRam)}; ${until}`;
  if (breach === QUOTA_GPUS && req.gpus > h.maxGpus) return `the job needs ${gpus(req.gpus)}, ${whole} ${h.maxGpus}; ${until}`;
  if (breach === QUOTA_RUNNING_JOBS && h.maxJobs < 1) return `${owner(h)} may run no jobs; ${until}`;
  return undefined;
}

export function quotaSentence(h: QuotaHolder, breach: QuotaBreach, req: Request): string {
  const beyond = beyondQuota(h, breach, req);
  if (beyond) return beyond;
  switch (breach) {
    case QUOTA_CPU:
      return `${owner(h)} uses ${formatCpu(h.cpu)} of ${its(h)} ${formatCpu(h.maxCpu)} cpu; the job needs ${formatCpu(req.cpu)}`;
    case QUOTA_RAM:
      return `${owner(h)} uses ${formatMemory(h.ram)} of ${its(h)} ${formatMemory(h.maxRam)} ram; the job needs ${formatMemory(req.ram)}`;
    case QUOTA_GPUS:
      return `${owner(h)} uses ${h.gpus} of ${its(h)} ${gpus(h.maxGpus)}; the job needs ${req.gpus}`;
    case QUOTA_RUNNING_JOBS:
      return `${owner(h)} runs ${h.jobs} of ${its(h)} ${h.maxJobs} jobs at once`;
    case QUOTA_CPU_TIME:
      return `${owner(h)} used ${formatDuration(h.cpuTimeUsed)} of ${its(h)} ${formatDuration(h.cpuTimeLimit)} of cpu time in the last ${formatDuration(h.cpuTimeWindowSeconds)}; jobs wait until older use leaves the window`;
    default:
      return `${owner(h)} is within its quotas`;
  }
}

/** The dimensions of `req` that exceed `max`, as "8 cpu and 16G ram". */
function shortOf(req: Request, max: Request): { needs: string[]; has: string[] } {
  const needs: string[] = [];
  const has: string[] = [];
  if (req.cpu > max.cpu + 1e-9) {
    needs.push(`${formatCpu(req.cpu)} cpu`);
    has.push(`${formatCpu(Math.max(0, max.cpu))} cpu`);
  }
  if (req.ram > max.ram) {
    needs.push(`${formatMemory(req.ram)} ram`);
    has.push(`${formatMemory(Math.max(0, max.ram))} ram`);
  }
  if (req.gpus > max.gpus) {
    needs.push(gpus(req.gpus));
    has.push(gpus(Math.max(0, max.gpus)));
  }
  if ((req.ports ?? 0) > (max.ports ?? 0)) {
    needs.push(hostPorts(req.ports ?? 0));
    has.push(hostPorts(Math.max(0, max.ports ?? 0)));
  }
  return { needs, has };
}

function requestText(req: Request): string {
  const parts = [`${formatCpu(req.cpu)} cpu`, `${formatMemory(req.ram)} ram`];
  if (req.gpus > 0) parts.push(gpus(req.gpus));
  if ((req.ports ?? 0) > 0) parts.push(hostPorts(req.ports ?? 0));
  return parts.join(', ');
}

export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** "needs 8 cpu; the largest free node has 6". `maxFree` is the most of each resource free on any one node. */
export function resourcesSentence(req: Request, maxFree: Request, nodesWithLabels: string): string {
  const { needs, has } = shortOf(req, maxFree);
  const where = nodesWithLabels ? `free node with ${nodesWithLabels}` : 'free node';
  if (needs.length > 0) return `needs ${needs.join(' and ')}; the largest ${where} has ${has.join(' and ')}`;
  // Each resource is free somewhere, never all on one node.
  return `needs ${requestText(req)} on one node; no ${where} has all of it (at most ${requestText(maxFree)} each)`;
}

/**
 * Only host ports are short: "waiting for 2 free host ports: the pool 20000-20099 on every
 * node is in use". `pools` names the pools of the nodes the job may use ("20000-20099").
 */
export function portsSentence(need: number, maxFree: number, pools: string, nodesWithLabels: string): string {
  const where = nodesWithLabels ? `node with ${nodesWithLabels}` : 'node';
  const wanted = `waiting for ${need} free ${hostPorts(need).replace(/^\d+ /, '')}`;
  if (maxFree <= 0) return `${wanted}: the pool ${pools} on every ${where} is in use`;
  return `${wanted}: at most ${maxFree} of the pool ${pools} are free on one ${where}`;
}

export function noNodeSentence(
  req: Request,
  labels: Readonly<Record<string, string>>,
  poolSize: number,
  maxSize: Request,
): string {
  const text = labelsText(labels);
  if (poolSize === 0) return `no node has the labels ${text}`;
  const { needs, has } = shortOf(req, maxSize);
  const which = text ? `the largest node with ${text}` : 'the largest node';
  if (needs.length > 0) return `needs ${needs.join(' and ')}; ${which} has ${has.join(' and ')}`;
  return `needs ${requestText(req)} on one node; no node${text ? ` with ${text}` : ''} has all of it`;
}

export function reservationText(at: number, node: string): string {
  return `expected to start by ${new Date(at).toISOString()} on node ${node} (reserved)`;
}

/** "waits for its begin time 2026-11-29 14:00:00Z, in 3m": the time as people write it, and how far off it is. */
export function beginTimeSentence(beginMs: number, now: number): string {
  const when = new Date(beginMs)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return `waits for its begin time ${when}, in ${formatDuration(Math.max(1, Math.ceil((beginMs - now) / 1000)))}`;
}

export function throttleSentence(parentId: number, running: number, throttle: number): string {
  return `array ${parentId} runs ${running} of its ${throttle} tasks allowed at once (%${throttle})`;
}

export type Blocking =
  /** A higher-priority job waits for resources this one could use. */
  | { kind: 'behind'; jobId: number; priority: number }
  /** It fits now, but would delay a backfill reservation. */
  | { kind: 'reservation'; jobId: number; at: number; node: string }
  /** It fits now, but without backfill the nodes wait for a higher-priority job. */
  | { kind: 'strict'; jobId: number; priority: number };

export function prioritySentence(b: Blocking, own: PriorityBreakdown): string {
  const mine = describePriority(own);
  switch (b.kind) {
    case 'behind':
      return `waits behind job ${b.jobId} (priority ${b.priority.toFixed(2)}), first in line for these nodes; ${mine}`;
    case 'reservation':
      return `would delay job ${b.jobId}, reserved to start on node ${b.node} by ${new Date(b.at).toISOString()}; ${mine}`;
    case 'strict':
      return `waits behind job ${b.jobId} (priority ${b.priority.toFixed(2)}): without backfill, jobs start in priority order; ${mine}`;
  }
}
