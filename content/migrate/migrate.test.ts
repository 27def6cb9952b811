// Reading each platform's export into issues and subscribers (pure, over in-memory
// files), and handing subscribers to the store through the one import call.
import { describe, expect, it } from 'vitest';
import type { ImportRow } from '../../delivery/subscribers/import-subscribers.ts';
import { readButtondownExport } from './buttondown.ts';
import type { ExportFiles } from './export-files.ts';
import { readGhostExport } from './ghost.ts';
import { moveSubscribers, type SubscriberImporter } from './move-subscribers.ts';
import { readSubstackExport } from './substack.ts';

function files(contents: Record<string, string>): ExportFiles {
  return { names: Object.keys(contents).sort(), read: (n) => (n in contents ? Buffer.from(contents[n]!) : undefined), label: 'export' };
}

describe('Substack', () => {
  it('turns posts into Markdown issues in date order, leaving threads out and keeping drafts drafts', () => {
    const m = readSubstackExport(
      files({
        'posts.csv': 'post_id,post_date,is_published,type,title,subtitle\n2.b,2025-02-01T00:00:00Z,false,newsletter,Second,\n1.a,2025-01-01T00:00:00Z,true,newsletter,First,Sub\n3.t,2025-01-15T00:00:00Z,true,thread,Chat,\n',
        'posts/1.a.html': '<p>Hi <a href="https://a.example/">there</a>.</p>',
        'posts/2.b.html': '<p>Later.</p>',
      }),
      undefined,
    );
    expect(m.issues.map((i) => i.file)).toEqual(['posts/1.a.html', 'posts/2.b.html']);
    expect(m.issues[0]!.source).toBe('---\ntitle: First\ndate: 2025-01-01\nsummary: Sub\nslug: a\ndraft: false\n---\n\nHi [there](https://a.example/).\n');
    expect(m.issues[1]!.source).toContain('draft: true');
    expect(m.skipped).toEqual(['posts.csv:4: post 3.t is a thread, not an issue', 'no email_list.*.csv in the export: no subscribers moved']);
  });
});

describe('Ghost', () => {
  it('renders mobiledoc with Ghost’s renderer, skips pages and internal tags, and names authors', async () => {
    const mobiledoc = JSON.stringify({ version: '0.3.1', atoms: [], markups: [['a', ['href', 'https://m.example/']]], cards: [['markdown', { markdown: '## Cards\n\nIn **Markdown**.' }]], sections: [[1, 'p', [[0, [0], 1, 'linked']]], [10, 0]] });
    const db = { db: [{ data: { posts: [{ id: 'a', title: 'A', slug: 'a', mobiledoc, status: 'published', published_at: '2025-03-01T00:00:00Z', type: 'post' }, { id: 'b', title: 'About', html: '<p>x</p>', type: 'page', published_at: '2025-01-01T00:00:00Z' }], tags: [{ id: 't', name: 'News' }, { id: 'h', name: '#hidden' }], posts_tags: [{ post_id: 'a', tag_id: 't' }, { post_id: 'a', tag_id: 'h' }], users: [{ id: 'u', name: 'Ada' }], posts_authors: [{ post_id: 'a', author_id: 'u' }] } }] };
    const m = await readGhostExport(files({ 'site.ghost.json': JSON.stringify(db), 'members.csv': 'email,name,subscribed_to_emails\nx@example.org,X,false\n' }), undefined);
    expect(m.issues).toHaveLength(1);
    expect(m.issues[0]!.source).toBe('---\ntitle: A\ndate: 2025-03-01\nslug: a\nauthor: Ada\ntags:\n  - News\ndraft: false\n---\n\n[linked](https://m.example/)\n\n## Cards\n\nIn **Markdown**.\n');
    expect(m.skipped).toEqual(['site.ghost.json: "About" is a page, not an issue']);
    expect(m.subscribers).toEqual([{ origin: 'members.csv:2', email: 'x@example.org', name: 'X', state: 'unsubscribed', platformState: 'subscribed_to_emails=false' }]);
  });
});

describe('Buttondown', () => {
  it('takes each email’s Markdown as written, the CSV’s metadata over the file’s own, and maps subscriber types', () => {
    const m = readButtondownExport(
      files({
        'emails.csv': 'id,subject,publish_date,slug\ne1,Hello,2025-04-01T00:00:00Z,hello\n',
        'emails/hello.md': '---\nsubject: old\n---\nBody with [a link](https://b.example/).\n',
        'subscribers.csv': 'email,subscriber_type\na@example.org,regular\nb@example.org,unactivated\nc@example.org,undeliverable\n',
        'unsubscribers.csv': 'email\nd@example.org\n',
      }),
      undefined,
    );
    expect(m.issues[0]!.source).toBe('---\ntitle: Hello\ndate: 2025-04-01\nslug: hello\ndraft: false\n---\n\nBody with [a link](https://b.example/).\n');
    expect(m.subscribers.map((s) => [s.email, s.state])).toEqual([['a@example.org', 'active'], ['b@example.org', 'pending'], ['c@example.org', 'bounced'], ['d@example.org', 'unsubscribed']]);
  });
});

describe('moving subscribers', () => {
  it('imports pending readers as pending and the rest as active, suppressed states travelling with their rows', async () => {
    const calls: Array<{ rows: ImportRow[]; state: string }> = [];
    const fake: SubscriberImporter = {
      async importChunk(rows, options) {
        calls.push({ rows: [...rows], state: options.state });
        return rows.map(() => ({ outcome: 'added' as const, state: options.state }));
      },
    };
    const moved = await moveSubscribers(
      fake,
      [
        { origin: 'l:2', email: 'a@example.org', state: 'active', platformState: 'regular' },
        { origin: 'l:3', email: 'b@example.org', state: 'pending', platformState: 'unactivated' },
        { origin: 'l:4', email: 'c@example.org', state: 'unsubscribed', platformState: 'unsubscribed' },
        { origin: 'l:5', email: 'nope', state: 'active', platformState: 'regular' },
      ],
      { source: 'migrate:test', dryRun: false, now: new Date('2026-01-01T00:00:00Z') },
    );
    expect(calls.map((c) => [c.state, c.rows.map((r) => [r.email, r.state])])).toEqual([
      ['active', [['a@example.org', undefined], ['c@example.org', 'unsubscribed']]],
      ['pending', [['b@example.org', undefined]]],
    ]);
    expect(moved).toEqual({ counts: expect.objectContaining({ added: 3 }), invalid: [{ origin: 'l:5', reason: 'email: is not a valid email address' }] });
  });
});
