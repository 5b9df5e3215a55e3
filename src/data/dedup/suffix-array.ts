// Suffix arrays by SA-IS (Nong, Zhang and Chan, "Two Efficient Algorithms for Linear Time Suffix
// Array Construction", 2011): linear time, on typed arrays. Suffixes are compared as if the text
// ended with a unique symbol smaller than all others (a virtual sentinel), so no sentinel byte is
// needed. Memory for n bytes of text: the suffix array (4n), each symbol with its type in a
// Uint16Array (2n), and for the recursion (at most n/2 symbols, kept inside the suffix array) its
// buckets (at most 2n): about 6n-8n bytes next to the text.

type Text = Uint8Array | Int32Array;
/** Symbol and type in one value: (symbol << 1) | type, type 1 = S (smaller than the next suffix), 0 = L. */
type Typed = Uint16Array | Int32Array;

function buckets(X: Typed, n: number, K: number, bkt: Int32Array, end: boolean): void {
  bkt.fill(0, 0, K);
  for (let i = 0; i < n; i++) bkt[X[i]! >> 1]!++;
  let sum = 0;
  for (let k = 0; k < K; k++) {
    sum += bkt[k]!;
    bkt[k] = end ? sum : sum - bkt[k]!;
  }
}

/** Induces L-type suffixes left to right, then S-type suffixes right to left, from the LMS suffixes in SA. */
function induce(X: Typed, SA: Int32Array, n: number, K: number, bkt: Int32Array): void {
  buckets(X, n, K, bkt, false);
  // The suffix before the virtual sentinel (n - 1) is L-type and the smallest of its bucket.
  SA[bkt[X[n - 1]! >> 1]!++] = n - 1;
  for (let i = 0; i < n; i++) {
    const j = SA[i]! - 1;
    if (j < 0) continue;
    const x = X[j]!;
    if ((x & 1) === 0) SA[bkt[x >> 1]!++] = j;
  }
  buckets(X, n, K, bkt, true);
  for (let i = n - 1; i >= 0; i--) {
    const j = SA[i]! - 1;
    if (j < 0) continue;
    const x = X[j]!;
    if ((x & 1) === 1) SA[--bkt[x >> 1]!] = j;
  }
}

/**
 * Fills SA[0..n) with the suffix array of T[0..n), symbols in [0, K). `scratch` (4n bytes, e.g.
 * reused afterwards for markSharedPrefixes) holds the typed symbols and the first recursion's
 * buckets, so that no large array is left for the garbage collector.
 */
export function suffixArray(T: Text, SA: Int32Array, n = T.length, K = 256, scratch?: ArrayBuffer): void {
  if (SA.length < n) throw new Error(`suffixArray: SA has ${SA.length} slots for ${n} suffixes`);
  if (n === 0) return;
  if (n === 1) {
    SA[0] = 0;
    return;
  }
  // Symbol and type together, so that inducing reads one value per suffix (the last suffix is
  // L-type: the virtual sentinel after it is smaller).
  const small = K <= 1 << 15;
  const X: Typed = small && scratch && scratch.byteLength >= 4 * n ? new Uint16Array(scratch, 0, n) : small ? new Uint16Array(n) : new Int32Array(n);
  // The recursion has at most n / 2 names: its buckets fit in the second half of the scratch.
  const spare = X.buffer === scratch ? new Int32Array(scratch, 2 * ((n + 1) & ~1), n >> 1) : undefined;
  X[n - 1] = T[n - 1]! << 1;
  for (let i = n - 2; i >= 0; i--) {
    const s = T[i]!;
    const next = T[i + 1]!;
    X[i] = (s << 1) | (s < next || (s === next && (X[i + 1]! & 1) === 1) ? 1 : 0);
  }
  sais(X, SA, n, K, undefined, spare);
}

/** SA-IS over typed symbols X[0..n); `bktSpace` (K slots) for this level's buckets, `spare` for the next level's. */
function sais(X: Typed, SA: Int32Array, n: number, K: number, bktSpace?: Int32Array, spare?: Int32Array): void {
  if (n === 1) {
    SA[0] = 0;
    return;
  }
  const bkt = bktSpace && bktSpace.length >= K ? bktSpace.subarray(0, K) : new Int32Array(K);
  // LMS: an S-type position right after an L-type one.
  const lms = (i: number) => i > 0 && (X[i]! & 1) === 1 && (X[i - 1]! & 1) === 0;

  // 1. Sort the LMS substrings: LMS suffixes at their bucket ends, then induce.
  SA.fill(-1, 0, n);
  buckets(X, n, K, bkt, true);
  for (let i = 1; i < n; i++) if (lms(i)) SA[--bkt[X[i]! >> 1]!] = i;
  induce(X, SA, n, K, bkt);

  // 2. Name the sorted LMS substrings; equal substrings share a name.
  let m = 0;
  for (let i = 0; i < n; i++) {
    const p = SA[i]!;
    if (lms(p)) SA[m++] = p;
  }
  SA.fill(-1, m, n);
  let names = 0;
  let prev = -1;
  for (let i = 0; i < m; i++) {
    const pos = SA[i]!;
    let diff = prev < 0;
    for (let d = 0; !diff; d++) {
      // Reaching the sentinel, or a different symbol or type, ends the comparison as different.
      if (pos + d === n || prev + d === n || X[pos + d] !== X[prev + d]) diff = true;
      // Equal so far: both are LMS here or neither is.
      else if (d > 0 && lms(pos + d)) break;
    }
    if (diff) {
      names++;
      prev = pos;
    }
    // LMS positions are at least 2 apart, so pos >> 1 is a distinct slot after the first m.
    SA[m + (pos >> 1)] = names - 1;
  }
  for (let i = n - 1, j = n - 1; i >= m; i--) if (SA[i]! >= 0) SA[j--] = SA[i]!;

  // 3. Sort the LMS suffixes: recursively when names repeat, else the names are the order.
  const s1 = SA.subarray(n - m, n);
  const SA1 = SA.subarray(0, m);
  if (names < m) {
    // The reduced string's types, in place: s1[i] = (name << 1) | type.
    s1[m - 1] = s1[m - 1]! << 1;
    for (let i = m - 2; i >= 0; i--) {
      const s = s1[i]!;
      const next = s1[i + 1]! >> 1;
      s1[i] = (s << 1) | (s < next || (s === next && (s1[i + 1]! & 1) === 1) ? 1 : 0);
    }
    sais(s1, SA1, m, names, spare);
  } else for (let i = 0; i < m; i++) SA1[s1[i]!] = i;

  // 4. Induce the whole array from the sorted LMS suffixes.
  for (let i = 1, j = 0; i < n; i++) if (lms(i)) s1[j++] = i;
  for (let i = 0; i < m; i++) SA1[i] = s1[SA1[i]!]!;
  SA.fill(-1, m, n);
  buckets(X, n, K, bkt, true);
  for (let i = m - 1; i >= 0; i--) {
    const j = SA[i]!;
    SA[i] = -1;
    SA[--bkt[X[j]! >> 1]!] = j;
  }
  induce(X, SA, n, K, bkt);
}

/**
 * Marks text positions whose suffix shares at least `minLength` symbols with the suffix just
 * before it in SA, never counting a `stop` symbol (document separator) as shared. Kasai's
 * permuted-LCP algorithm (the length drops by at most one from one text position to the next,
 * also when cut at `stop`): linear time, one extra Int32Array of n (in `scratch` when given).
 */
export function markSharedPrefixes(T: Uint8Array, SA: Int32Array, n: number, minLength: number, stop: number, scratch?: ArrayBuffer): Uint8Array {
  const phi = scratch && scratch.byteLength >= 4 * n ? new Int32Array(scratch, 0, n) : new Int32Array(n);
  phi[SA[0]!] = -1;
  for (let k = 1; k < n; k++) phi[SA[k]!] = SA[k - 1]!;
  const shared = new Uint8Array((n + 7) >> 3);
  let h = 0;
  for (let i = 0; i < n; i++) {
    const j = phi[i]!;
    if (j < 0) {
      h = 0;
      continue;
    }
    while (i + h < n && j + h < n && T[i + h] === T[j + h] && T[i + h] !== stop) h++;
    if (h >= minLength) shared[i >> 3]! |= 1 << (i & 7);
    if (h > 0) h--;
  }
  return shared;
}

export const bit = (bits: Uint8Array, i: number): boolean => (bits[i >> 3]! & (1 << (i & 7))) !== 0;
