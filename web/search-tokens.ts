// How reader search cuts text into words and which index file a word lives in. The build
// (build/search-index.ts) calls it, and the browser runs the very same function: the
// search script embeds its source (web/search-box.tsx), so the two can never disagree.
// Self-contained on purpose: nothing from outside the function body may be used.

export interface SearchTokenizer {
  /** The index words of a text: lower-case, accents dropped, common words and a plural "s" left out. */
  terms(text: string): string[];
  /** The word file ("search/w/<bucket>.json") a word is kept in, out of `buckets`. */
  bucketOf(word: string, buckets: number): number;
}

export function searchTokenizer(): SearchTokenizer {
  const common = new Set(
    'about also an and are as at be been but by can do for from had has have he her his if in into is it its more not of on or our she so than that the their them then there they this to was we were what when which who will with you your'.split(
      ' ',
    ),
  );
  return {
    terms(text) {
      const out: string[] = [];
      let plain = text.toLowerCase();
      // Most text is ASCII: decomposing it would change nothing.
      if (/[^\x00-\x7f]/.test(plain)) plain = plain.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      for (const raw of plain.split(/[^\p{L}\p{N}]+/u)) {
        if (raw.length < 2 || raw.length > 40 || common.has(raw)) continue;
        out.push(raw.length > 3 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw);
      }
      return out;
    },
    bucketOf(word, buckets) {
      // FNV-1a over UTF-16 code units.
      let hash = 0x811c9dc5;
      for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0;
      return hash % buckets;
    },
  };
}
