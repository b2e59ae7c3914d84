/** The first index in [`from`, `to`) of ascending `values` whose value is at least `value` (`to` when none is). */
export function lowerBound(values: ArrayLike<number>, value: number, from = 0, to = values.length): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

// Written out apart from lowerBound, not as lowerBound's general case: BM25 scoring calls lowerBound, and a key
// callback there is a call per probe that plain arrays do not need.
/** The first index of `items`, ascending by `key`, whose key is at least `value` (`items.length` when none is). */
export function lowerBoundBy<T>(items: readonly T[], key: (item: T) => number, value: number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (key(items[middle]!) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
