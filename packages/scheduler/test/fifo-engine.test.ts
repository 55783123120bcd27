import { schedule } from '@godocker/scheduler';
import type { Job, NodeInfo } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type JobOverrides, makeJob } from './fixtures/jobs.js';

let nextId = 1;
const job = (o: JobOverrides = {}): Job => ({ id: nextId++, ...makeJob(o) });
const node = (name: string, cpu: number, ram: number, labels: Record<string, string> = {}): NodeInfo => ({
  name,
  cpu,
  ram,
  gpus: 0,
  labels,
});
const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('FIFO engine', () => {
  it('starts jobs in submission order while they fit', () => {
    const a = job({ requirements: { cpu: 1, ram: 100 } });
    const b = job({ requirements: { cpu: 1, ram: 100 } });
    const c = job({ requirements: { cpu: 1, ram: 100 } });
    const out = schedule({ now: NOW, pending: [c, b, a], active: [], nodes: [node('n1', 2, 1000)] });
    expect(out.start).toEqual([
      { jobId: a.id, node: 'n1' },
      { jobId: b.id, node: 'n1' },
    ]);
    expect(out.waiting.get(c.id)?.code).toBe('Resources');
    expect(out.waiting.get(c.id)?.message).toMatch(/needs 1 cpu and 100M ram; the most free node \(n1\) has 0 cpu/);
  });

  it('counts what running and suspended jobs hold on their node', () => {
    const running = job({ status: { state: 'running', node: 'n1' }, requirements: { cpu: 3, ram: 100 } });
    const waiting = job({ requirements: { cpu: 2, ram: 100 } });
    const out = schedule({ now: NOW, pending: [waiting], active: [running], nodes: [node('n1', 4, 1000), node('n2', 2, 1000)] });
    expect(out.start).toEqual([{ jobId: waiting.id, node: 'n2' }]);
  });

  it('places by ram as well as cpu', () => {
    const big = job({ requirements: { cpu: 1, ram: 4096 } });
    const out = schedule({ now: NOW, pending: [big], active: [], nodes: [node('small', 8, 1024), node('large', 1, 8192)] });
    expect(out.start).toEqual([{ jobId: big.id, node: 'large' }]);
  });

  it('higher priority goes first, then age', () => {
    const old = job({ requirements: { cpu: 1, ram: 1 } });
    const urgent = job({ priority: 10, requirements: { cpu: 1, ram: 1 } });
    const out = schedule({ now: NOW, pending: [old, urgent], active: [], nodes: [node('n1', 1, 100)] });
    expect(out.start).toEqual([{ jobId: urgent.id, node: 'n1' }]);
  });

  it('says when no node could ever run a job', () => {
    const huge = job({ requirements: { cpu: 64, ram: 1 } });
    const out = schedule({ now: NOW, pending: [huge], active: [], nodes: [node('n1', 2, 100)] });
    expect(out.start).toEqual([]);
    expect(out.waiting.get(huge.id)).toEqual({
      code: 'NoNodeFits',
      message: expect.stringMatching(/needs 64 cpu.*largest node \(n1\) has 2 cpu/),
    });
  });

  it('honours node labels', () => {
    const gpuJob = job({ requirements: { cpu: 1, ram: 1, labels: { zone: 'b' } } });
    const out = schedule({
      now: NOW,
      pending: [gpuJob],
      active: [],
      nodes: [node('a', 4, 100, { zone: 'a' }), node('b', 4, 100, { zone: 'b' })],
    });
    expect(out.start).toEqual([{ jobId: gpuJob.id, node: 'b' }]);
  });

  it('is a pure function: same input, same output, inputs untouched', () => {
    const jobs = [job({ requirements: { cpu: 1, ram: 1 } }), job({ requirements: { cpu: 1, ram: 1 } })];
    const nodes = [node('n1', 1, 10)];
    const copy = structuredClone({ jobs, nodes });
    const a = schedule({ now: NOW, pending: jobs, active: [], nodes });
    const b = schedule({ now: NOW, pending: jobs, active: [], nodes });
    expect(a).toEqual(b);
    expect({ jobs, nodes }).toEqual(copy);
  });
});
