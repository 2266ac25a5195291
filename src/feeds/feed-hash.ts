/**
 * Deterministic pseudo-randomness for the feed simulator: every simulated value is a pure function of a key
 * such as (feed, unit, date), so the same request always yields the same bytes. Math.random is never used.
 */

/** Fixed seed: Project 06, province 40, plan year 2024. Changing it changes every simulated value. */
const SEED = 0x0640_2024;
const TWO_POW_53 = 2 ** 53;

/** cyrb53 (public domain): a fast 53-bit string hash with good avalanche behaviour. */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function keyOf(parts: ReadonlyArray<string | number>): string {
  return parts.join('\u001f');
}

/** A uniform number in [0, 1) fixed by the key parts. */
export function uniform(...parts: Array<string | number>): number {
  return cyrb53(keyOf(parts), SEED) / TWO_POW_53;
}

/** A deterministic stream of uniform numbers in [0, 1) (mulberry32) seeded by the key parts. */
export function sequence(...parts: Array<string | number>): () => number {
  let state = cyrb53(keyOf(parts), SEED) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
