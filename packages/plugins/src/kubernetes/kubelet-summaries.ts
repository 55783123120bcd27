/**
 * The kubelet stats summaries the usage sampler reads, one request per node per round: the sampler
 * asks for every running job at about the same time, and one node's summary answers for all its
 * pods. An answer (or the request still in flight) is shared for `freshMs`; a failed one is not kept.
 */
export class KubeletSummaries {
  readonly #entries = new Map<string, { at: number; answer: Promise<unknown> }>();

  constructor(
    private readonly fetch: (node: string) => Promise<unknown>,
    private readonly freshMs = 1_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(node: string): Promise<unknown> {
    const at = this.now();
    // Old answers go at once: a summary of a full node is a few hundred kilobytes.
    for (const [name, entry] of this.#entries) if (at - entry.at >= this.freshMs) this.#entries.delete(name);
    const kept = this.#entries.get(node);
    if (kept) return kept.answer;
    const answer = this.fetch(node);
    this.#entries.set(node, { at, answer });
    answer.catch(() => {
      if (this.#entries.get(node)?.answer === answer) this.#entries.delete(node);
    });
    return answer;
  }
}
