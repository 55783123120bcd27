/** A job's state as a coloured word (the word itself carries the meaning, not the colour). */
import type { JobState } from '@godocker/sdk/browser';

export function StateBadge(props: { state: JobState }) {
  return <span class={`badge state-${props.state}`}>{props.state}</span>;
}
