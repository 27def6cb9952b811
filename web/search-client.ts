// The search box's script, run in the reader's browser (web/search-box.tsx embeds this
// function's source in search.js with the tokenizer's). It shows the form in place of the
// no-JavaScript link to the archive, reads the static index (build/search-index.ts) as the
// reader types, and lists matching sections with the best paragraph's excerpt, each
// linking to that paragraph. Self-contained on purpose: nothing from outside the function
// body may be used, and no HTML is built from strings (index text goes in as text).
import type { SearchTokenizer } from './search-tokens.ts';

export function searchClient(tokenizer: SearchTokenizer): void {
  type Meta = { v: string; b: number; i: Array<[first: number, records: number[]]> };
  type Block = [id: string, text: string, links: string];
  type Found = { n: number; t: string; d: string; u: string; h: string; p: Block[] };
  /** An issue's records (search/<n>.json): its sections in page order. */
  type IssueRecords = Omit<Found, 'h' | 'p'> & { s: Array<Pick<Found, 'h' | 'p'>> };
  const perPage = 8;

  const box = document.querySelector<HTMLElement>('[data-search]');
  const form = box?.querySelector('form');
  const input = form?.querySelector('input');
  const area = box?.querySelector<HTMLElement>('[data-search-results]');
  if (!box || !form || !input || !area) return;
  const results: HTMLElement = area;
  const folder = box.dataset.search ?? '/search/';
  const site = box.dataset.site ?? '/';
  // The stylesheet shows the form instead of the link to the archive from now on.
  box.classList.add('is-live');

  const loaded = new Map<string, Promise<unknown>>();
  function get<T>(path: string): Promise<T> {
    let answer = loaded.get(path);
    if (!answer) {
      answer = fetch(folder + path).then((response) => {
        if (!response.ok) throw new Error(`${folder}${path} answered ${response.status}`);
        return response.json();
      });
      // A failed fetch is tried again by the next search.
      answer.catch(() => loaded.delete(path));
      loaded.set(path, answer);
    }
    return answer as Promise<T>;
  }

  function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  /** Text with every word that starts like a query word in <mark>. */
  function marked(text: string, words: string[]): HTMLElement {
    const out = element('span');
    const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join('|')})[\\p{L}\\p{N}]*`, 'giu');
    let at = 0;
    for (const match of text.matchAll(pattern)) {
      out.append(text.slice(at, match.index), element('mark', match[0]));
      at = match.index + match[0].length;
    }
    out.append(text.slice(at));
    return out;
  }

  /** About 200 characters of text around the first matching word. */
  function excerpt(text: string, words: string[]): string {
    const lower = text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    const hit = Math.min(...words.map((w) => lower.search(new RegExp(`(?<![\\p{L}\\p{N}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'u'))).filter((i) => i >= 0));
    if (text.length <= 220) return text;
    const start = Number.isFinite(hit) && hit > 60 ? text.lastIndexOf(' ', hit - 50) + 1 : 0;
    const end = text.indexOf(' ', Math.min(text.length, start + 200));
    return `${start > 0 ? '… ' : ''}${text.slice(start, end < 0 ? undefined : end)}${end < 0 ? '' : ' …'}`;
  }

  function best(found: Found, words: string[]): Block {
    let top: Block = found.p[0] ?? ['', '', ''];
    let score = -1;
    for (const block of found.p) {
      const terms = new Set(tokenizer.terms(`${block[1]} ${block[2]}`));
      const s = words.filter((w) => terms.has(w)).length * 2 + words.filter((w) => tokenizer.terms(block[1]).includes(w)).length;
      if (s > score) [top, score] = [block, s];
    }
    return top;
  }

  function resultItem(found: Found, words: string[]): HTMLElement {
    const [id, text, links] = best(found, words);
    const item = element('li');
    const heading = element('h3');
    const link = element('a', `#${found.n}: ${found.t}`);
    link.href = `${site}${found.u}${id ? `#${id}` : ''}`;
    heading.append(link);
    item.append(heading, element('p', [found.h, found.d].filter(Boolean).join(' · '), 'meta'));
    const body = element('p');
    body.append(marked(excerpt(text, words), words));
    item.append(body);
    const linkTerms = new Set(tokenizer.terms(links));
    if (links && words.some((w) => linkTerms.has(w))) {
      const about = element('p', undefined, 'meta');
      about.append('Links: ', marked(links, words));
      item.append(about);
    }
    return item;
  }

  /** Issue number and section of every record, in record order (see build/search-index.ts). */
  const tables = new WeakMap<Meta, Array<[number, number]>>();
  function recordsOf(meta: Meta): Array<[number, number]> {
    let table = tables.get(meta);
    if (!table) {
      table = [];
      for (const [first, counts] of meta.i) counts.forEach((count, k) => { for (let s = 0; s < count; s++) table!.push([first + k, s]); });
      tables.set(meta, table);
    }
    return table;
  }

  /** A word's records: gaps between record numbers, or a base64 bitmap over all records. */
  function decode(posting: number[] | string | undefined): number[] {
    const out: number[] = [];
    if (typeof posting === 'string') {
      const bytes = atob(posting);
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes.charCodeAt(i);
        for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) out.push(i * 8 + bit);
      }
    } else {
      let r = 0;
      for (const gap of posting ?? []) out.push((r += gap));
    }
    return out;
  }

  let latest = 0;
  async function search(query: string): Promise<void> {
    const ticket = ++latest;
    const words = [...new Set(tokenizer.terms(query))];
    if (words.length === 0) {
      results.replaceChildren();
      return;
    }
    try {
      const meta = await get<Meta>('meta.json');
      const lists = await Promise.all(
        words.map(async (word) => {
          const shard = await get<Record<string, number[] | string>>(`w/${tokenizer.bucketOf(word, meta.b)}.json?v=${meta.v}`);
          return decode(shard[word]);
        }),
      );
      const table = recordsOf(meta);
      let hits = lists[0] ?? [];
      for (const list of lists.slice(1)) {
        const has = new Set(list);
        hits = hits.filter((r) => has.has(r));
      }
      // Newest issue first; within an issue, in page order.
      hits = hits.filter((r) => r < table.length).sort((a, b) => table[b]![0] - table[a]![0] || a - b);
      const list = element('ol', undefined, 'search-list');
      const status = element('p', hits.length === 0 ? `Nothing matches “${query}”.` : `${hits.length} section(s) match “${query}”.`, 'meta');
      const more = element('button', 'More results');
      more.type = 'button';
      let shown = 0;
      const showMore = async () => {
        const page = hits.slice(shown, shown + perPage);
        shown += page.length;
        // One file per issue: sections of the same issue share its fetch.
        const found = await Promise.all(
          page.map(async (r) => {
            const [n, s] = table[r]!;
            const { s: sections, ...issue } = await get<IssueRecords>(`${n}.json?v=${meta.v}`);
            return { ...issue, ...sections[s]! } as Found;
          }),
        );
        if (ticket !== latest) return;
        list.append(...found.map((f) => resultItem(f, words)));
        more.hidden = shown >= hits.length;
      };
      more.addEventListener('click', () => void showMore().catch(failed));
      await showMore();
      if (ticket !== latest) return;
      results.replaceChildren(status, list, more);
    } catch (error) {
      if (ticket === latest) failed(error);
    }
  }

  function failed(error: unknown): void {
    const note = element('p', `Search is not available right now (${error instanceof Error ? error.message : String(error)}). `);
    const archive = element('a', 'Browse the archive');
    archive.href = site;
    note.append(archive);
    results.replaceChildren(note);
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void search(input.value), 150);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    void search(input.value);
  });
  const asked = new URLSearchParams(location.search).get('q');
  if (asked) {
    input.value = asked;
    void search(asked);
  }
}
