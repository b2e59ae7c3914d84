/** The k best (id, score) pairs seen, in a min-heap: ranking n candidates costs n comparisons, not a sort of n. */
export class TopK {
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];

  constructor(private readonly k: number) {}

  /** The k best of (id, score) entries among the ids `allowed` passes, best first (ties by id). */
  static best(entries: Iterable<readonly [number, number]>, k: number, allowed: (id: number) => boolean = () => true): { id: number; score: number }[] {
    const top = new TopK(k);
    for (const [id, score] of entries) if (score > top.threshold && allowed(id)) top.add(id, score);
    return top.sorted();
  }

  get size(): number {
    return this.ids.length;
  }

  /** Scores at or below this cannot enter. */
  get threshold(): number {
    return this.ids.length < this.k ? -Infinity : this.scores[0]!;
  }

  add(id: number, score: number): void {
    if (this.ids.length < this.k) {
      this.ids.push(id);
      this.scores.push(score);
      this.siftUp(this.ids.length - 1);
    } else if (score > this.scores[0]!) {
      this.ids[0] = id;
      this.scores[0] = score;
      this.siftDown(0);
    }
  }

  sorted(): { id: number; score: number }[] {
    return this.ids.map((id, i) => ({ id, score: this.scores[i]! })).sort((a, b) => b.score - a.score || a.id - b.id);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.scores[parent]! <= this.scores[i]!) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.ids.length && this.scores[left]! < this.scores[smallest]!) smallest = left;
      if (right < this.ids.length && this.scores[right]! < this.scores[smallest]!) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
  }
}
