// The known name a mistyped one was most likely meant to be ("weigths" → "weights"), for messages
// that refuse unknown keys.

/** Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`: typos swap letters. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `name` (case ignored), if it is close enough to be a typo of it: at most
 * 2 edits (1 for names under 4 letters, where 2 edits reach unrelated words; for names of 4 or 5, 2
 * only where the name's letters appear in the candidate in order, an abbreviation such as "hidn" of
 * "hidden", not "nope" of "name"; for one letter, one edit from every other letter, only the same
 * letter in another case); ties go to the first. Failing that, the one candidate `name` begins (a
 * name cut short: "channel-freq"), from 4 letters on.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const typed = name.toLowerCase();
  if (name.length < 2) return candidates.find((candidate) => candidate.toLowerCase() === typed);
  const limit = name.length < 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    const distance = editDistance(typed, known);
    if (distance === 2 && name.length < 6 && !isSubsequence(typed, known)) continue;
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  if (best !== undefined || name.length < 4) return best;
  const begun = candidates.filter((candidate) => candidate.toLowerCase().startsWith(typed));
  return begun.length === 1 ? begun[0] : undefined;
}

/** Whether every letter of `short` appears in `long`, in order (an abbreviation of it). */
function isSubsequence(short: string, long: string): boolean {
  let k = 0;
  for (const letter of long) if (letter === short[k]) k++;
  return k === short.length;
}
