/**
 * The simulator's future: events by time, ties in the order they were
 * queued, so a run is deterministic. A binary heap.
 */
export class EventQueue<T> {
  readonly #heap: Array<{ at: number; seq: number; event: T }> = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  push(at: number, event: T): void {
    const h = this.#heap;
    h.push({ at, seq: this.#seq++, event });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#before(i, p)) break;
      this.#swap(i, p);
      i = p;
    }
  }

  /** Time of the next event; Infinity when none. */
  peekTime(): number {
    return this.#heap[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): { at: number; event: T } | undefined {
    const h = this.#heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#before(l, m)) m = l;
        if (r < h.length && this.#before(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return { at: top.at, event: top.event };
  }

  #before(a: number, b: number): boolean {
    const x = this.#heap[a];
    const y = this.#heap[b];
    if (!x || !y) return false;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  #swap(a: number, b: number): void {
    const h = this.#heap;
    const t = h[a];
    const u = h[b];
    if (!t || !u) return;
    h[a] = u;
    h[b] = t;
  }
}
