// Text helpers of the catalog search: tokenising, a light suffix stemmer, bounded edit distance.

const STOP_WORDS = new Set([
  "a",
  "an",
  "and",
  "any",
  "are",
  "as",
  "at",
  "be",
  "by",
  "can",
  "do",
  "for",
  "from",
  "i",
  "in",
  "into",
  "is",
  "it",
  "its",
  "me",
  "my",
  "need",
  "of",
  "on",
  "or",
  "out",
  "so",
  "that",
  "the",
  "their",
  "them",
  "this",
  "to",
  "use",
  "want",
  "we",
  "with",
  "you",
]);

// Longest first; one rule per word, so "translation", "translator", "translate" share a stem.
const SUFFIXES: ReadonlyArray<[string, string]> = [
  ["izations", "iz"],
  ["ization", "iz"],
  ["isations", "is"],
  ["isation", "is"],
  ["ations", ""],
  ["ation", ""],
  ["ion", ""],
  ["ings", ""],
  ["ing", ""],
  ["ies", "y"],
  ["ers", ""],
  ["ors", ""],
  ["er", ""],
  ["or", ""],
  ["al", ""],
  ["ed", ""],
  ["es", "e"],
  ["s", ""],
];
// Suffixes that leave too short a stem for "legal" or "total" to keep their meaning.
const MIN_STEM: Readonly<Record<string, number>> = { al: 4, ion: 4 };
// British "-ise" spellings fold into "-ize" so "summarise" finds "summarize".
const BRITISH = /(?<=.{3})is(e|ed|es|er|ers|ing|ation|ations)$/;

/** Reduce a lowercase word to a stem shared by its common inflections. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word.replace(BRITISH, "iz$1");
  // A plural comes off first, then one more suffix: "approvals" -> "approval" -> "approv".
  for (let pass = 0; pass < 2; pass++) {
    let plural = false;
    for (const [suffix, replacement] of SUFFIXES) {
      if (!w.endsWith(suffix) || w.length - suffix.length < (MIN_STEM[suffix] ?? 3)) continue;
      if (suffix === "s" && /(ss|us|is)$/.test(w)) break;
      w = w.slice(0, w.length - suffix.length) + replacement;
      plural = suffix === "s" || suffix === "es" || suffix === "ies";
      break;
    }
    if (!plural) break;
  }
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

/** Lowercase words of a text (ids split on `.`, `-`, `_`), stop words kept. */
export function words(text: string): string[] {
  return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Whether a word carries no meaning for search. */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), or `max + 1` as
 * soon as the distance is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const n = b.length;
  if (rows[0].length < n + 1) rows = [0, 1, 2].map(() => new Int32Array(n + 1));
  let [prev2, prev, cur] = rows;
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (
        i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) &&
        a.charCodeAt(i - 2) === b.charCodeAt(j - 1)
      ) {
        v = Math.min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

// Reused rows: the search is synchronous, so one set of buffers serves every call.
let rows: Int32Array[] = [0, 1, 2].map(() => new Int32Array(32));

/** How many edits a query word of this length may carry and still match. */
export function typoBudget(length: number): number {
  return length < 4 ? 0 : length < 8 ? 1 : 2;
}
