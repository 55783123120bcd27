/**
 * A quota, edited in place: each limit a field, empty for none. Saving sends every limit
 * (null removes one), as `PATCH /users/{name}` and `PATCH /projects/{name}` take it.
 */
import type { Quota } from '@godocker/sdk/browser';
import { useState } from 'preact/hooks';
import { messageOf } from '../format.js';

const LIMITS = [
  ['cpu', 'CPU cores at once'],
  ['ram', 'Memory at once (MiB)'],
  ['gpus', 'GPUs at once'],
  ['runningJobs', 'Running jobs'],
  ['pendingJobs', 'Waiting jobs'],
] as const;

export function quotaText(q: Quota): string {
  const parts = LIMITS.filter(([k]) => q[k] !== undefined && q[k] !== null).map(([k]) => `${k} ${q[k]}`);
  if (q.cpuTime) parts.push(`cpuTime ${q.cpuTime.seconds} s / ${q.cpuTime.windowSeconds} s`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

export function QuotaForm(props: { owner: string; quota: Quota; save(quota: Quota): Promise<void>; done(): void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const quota: Quota = {};
    for (const [key] of LIMITS) {
      const text = String(form.get(key) ?? '').trim();
      quota[key] = text === '' ? null : Number(text);
    }
    setBusy(true);
    setError(null);
    try {
      await props.save(quota);
      props.done();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="quota" onSubmit={submit} aria-label={`Quota of ${props.owner}`}>
      {LIMITS.map(([key, label]) => (
        <label key={key}>
          {label}
          <input name={key} type="number" min="0" step={key === 'cpu' ? '0.01' : '1'} value={props.quota[key] ?? ''} />
        </label>
      ))}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          Save quota
        </button>
        <button type="button" onClick={props.done}>
          Cancel
        </button>
      </div>
    </form>
  );
}
