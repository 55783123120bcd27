/** `GET /jobs/{id}/explain`: why a job waits (or how it ended), with the priority numbers the engine used. */
import type { Explanation, Job } from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from '../format.js';
import { useSession } from '../session.js';

const FACTORS = ['fairshare', 'age', 'job', 'user', 'project'] as const;

export function WhyItWaits(props: { job: Job }) {
  const { client } = useSession();
  const [why, setWhy] = useState<Explanation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { id } = props.job;
  const state = props.job.status.state;
  // Asked again at each change of state: the reason changes with it.
  useEffect(() => {
    client
      .explain(id)
      .then(setWhy)
      .catch((e: unknown) => setError(messageOf(e)));
  }, [client, id, state]);
  const waiting = state === 'pending' || state === 'held';
  return (
    <section class="card" aria-labelledby="why">
      <h2 id="why">{waiting ? 'Why it waits' : 'Explanation'}</h2>
      {error && <p class="error">{error}</p>}
      {why && (
        <>
          <p data-testid="explain">
            <strong class="code">{why.code}</strong> {why.message}
          </p>
          {why.priority && (
            <>
              <p>{why.priority.sentence}</p>
              <table class="numbers">
                <caption>Priority {why.priority.total.toFixed(4)}</caption>
                <thead>
                  <tr>
                    <th scope="col">Factor</th>
                    <th scope="col">Value (0–1)</th>
                    <th scope="col">Weighted</th>
                  </tr>
                </thead>
                <tbody>
                  {FACTORS.map((f) => (
                    <tr key={f}>
                      <th scope="row">{f}</th>
                      <td>{why.priority?.factors[f].toFixed(4)}</td>
                      <td>{why.priority?.weighted[f].toFixed(4)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
    </section>
  );
}
