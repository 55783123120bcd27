/**
 * The messages job events travel in between daemons, and how a received one is checked.
 * What arrives on the channel is untrusted: anyone who can reach Redis can publish there,
 * and a daemon of another version may. Nothing reaches a listener unless it parses and
 * matches the JobEvent schema; everything else is reported as a reason and dropped.
 */
import { type JobEvent, JobEventSchema } from '@godocker/sdk';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const ENVELOPE_VERSION = 1;

/** A job event, or a request that every daemon re-read the store (the sender dropped events). */
export type Envelope =
  | { v: typeof ENVELOPE_VERSION; kind: 'job'; daemon: string; instance: string; event: JobEvent }
  | { v: typeof ENVELOPE_VERSION; kind: 'resync'; daemon: string; instance: string };

export type Decoded = { ok: true; envelope: Envelope } | { ok: false; why: string };

const jobEvent = TypeCompiler.Compile(JobEventSchema);

export function encodeEnvelope(envelope: Envelope): string {
  return JSON.stringify(envelope);
}

export function decodeEnvelope(message: string, maxLength: number): Decoded {
  // Checked before parsing: JSON.parse of a huge message would block every other listener.
  if (message.length > maxLength) return { ok: false, why: `message of ${message.length} characters, over ${maxLength}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, why: 'not an object' };
  const m = parsed as Record<string, unknown>;
  if (m.v !== ENVELOPE_VERSION) return { ok: false, why: `unknown envelope version ${JSON.stringify(m.v)?.slice(0, 20)}` };
  if (typeof m.daemon !== 'string' || typeof m.instance !== 'string') return { ok: false, why: 'no sender' };
  if (m.kind === 'resync')
    return { ok: true, envelope: { v: ENVELOPE_VERSION, kind: 'resync', daemon: m.daemon, instance: m.instance } };
  if (m.kind !== 'job') return { ok: false, why: `unknown kind ${JSON.stringify(m.kind)?.slice(0, 40)}` };
  if (!jobEvent.Check(m.event)) {
    const first = jobEvent.Errors(m.event).First();
    return { ok: false, why: `not a JobEvent${first ? ` (${first.path || '/'}: ${first.message})` : ''}` };
  }
  return { ok: true, envelope: { v: ENVELOPE_VERSION, kind: 'job', daemon: m.daemon, instance: m.instance, event: m.event } };
}

export function jobEnvelope(daemon: string, instance: string, event: JobEvent): Envelope {
  return { v: ENVELOPE_VERSION, kind: 'job', daemon, instance, event };
}

export function resyncEnvelope(daemon: string, instance: string): Envelope {
  return { v: ENVELOPE_VERSION, kind: 'resync', daemon, instance };
}
