import { describe, expect, it } from 'vitest';
import type { SanityDocument } from '../store.ts';
import { planActions, strengthenReferences } from './actions.ts';
import { LakeError } from './protocol.ts';

const now = '2026-03-01T10:00:00.000Z';
const stored = (docs: SanityDocument[]) => {
  const byId = new Map(docs.map((d) => [d._id, d]));
  return (id: string) => byId.get(id);
};

describe('planning actions', () => {
  it('lets a publish in the same request see the edit before it', () => {
    const sections = [{ _key: 's', heading: 'News', body: [{ _type: 'block', _key: 'b', children: [{ _type: 'span', text: 'Hi' }] }] }];
    const lookup = stored([{ _id: 'issue-1', _type: 'issue', title: 'Old', sections, _rev: 'p1', _createdAt: '2026-01-01T00:00:00.000Z' }]);
    const mutations = planActions(
      [
        { actionType: 'sanity.action.document.edit', draftId: 'drafts.issue-1', publishedId: 'issue-1', patch: { set: { title: 'New' } } },
        { actionType: 'sanity.action.document.publish', draftId: 'drafts.issue-1', publishedId: 'issue-1' },
      ],
      lookup,
      now,
    );
    const published = mutations.find((m) => 'createOrReplace' in m) as { createOrReplace: SanityDocument };
    // Without a slug, the issue is published with the one "Generate" would make.
    expect(published.createOrReplace).toMatchObject({ _id: 'issue-1', title: 'New', slug: { _type: 'slug', current: 'new' }, _createdAt: '2026-01-01T00:00:00.000Z' });
    expect(mutations.at(-1)).toEqual({ delete: { id: 'drafts.issue-1' } });
  });

  it('refuses to publish an issue the rule book refuses, saying why in the Studio\'s words', () => {
    const link = { _type: 'block', _key: 'b', markDefs: [{ _type: 'externalLink', _key: 'x', href: 'https://exa mple.com/a b' }], children: [{ _type: 'span', text: 'a tool', marks: ['x'] }] };
    const lookup = stored([
      { _id: 'drafts.issue-2', _type: 'issue', title: 'Empty', sections: [{ _key: 's', heading: 'News', body: [] }] },
      { _id: 'drafts.issue-3', _type: 'issue', title: 'Bad link', slug: { _type: 'slug', current: 'mine' }, sections: [{ _key: 's', heading: 'Tools', body: [link] }] },
    ]);
    const attempt = (n: number) => {
      try {
        planActions([{ actionType: 'sanity.action.document.publish', draftId: `drafts.issue-${n}`, publishedId: `issue-${n}` }], lookup, now);
        return undefined;
      } catch (error) {
        return error instanceof LakeError ? [error.status, error.type, error.message] : error;
      }
    };
    expect(attempt(2)).toEqual([409, 'validationError', expect.stringMatching(/cannot be published yet\. Every section is empty/)]);
    expect(attempt(3)).toEqual([409, 'validationError', expect.stringMatching(/Section “Tools”: the link “a tool” goes to "https:\/\/exa mple.com\/a b"/)]);
  });

  it('refuses what the hosted lake refuses, with its error types', () => {
    const lookup = stored([{ _id: 'tag-a', _type: 'tag', _rev: 'r' }]);
    const attempt = (action: Record<string, unknown>) => {
      try {
        planActions([action as never], lookup, now);
        return undefined;
      } catch (error) {
        return error instanceof LakeError ? [error.status, error.type] : error;
      }
    };
    expect(attempt({ actionType: 'sanity.action.document.create', publishedId: 'tag-a', attributes: { _id: 'tag-a', _type: 'tag' }, ifExists: 'fail' })).toEqual([409, 'documentAlreadyExistsError']);
    expect(attempt({ actionType: 'sanity.action.document.create', publishedId: 'tag-a', attributes: { _id: 'tag-a', _type: 'tag' }, ifExists: 'ignore' })).toBeUndefined();
    expect(attempt({ actionType: 'sanity.action.document.publish', draftId: 'drafts.tag-a', publishedId: 'tag-a' })).toEqual([409, 'documentNotFoundError']);
    expect(attempt({ actionType: 'sanity.action.document.edit', draftId: 'drafts.nope', publishedId: 'nope', patch: {} })).toEqual([404, 'documentNotFoundError']);
    expect(attempt({ actionType: 'sanity.action.release.create', releaseId: 'r1' })).toEqual([400, 'actionNotSupportedError']);
  });
});

describe('strengthening references on publish', () => {
  it('drops the weak flag of references marked to strengthen, and keeps references meant to stay weak', () => {
    expect(
      strengthenReferences({
        card: { _type: 'reference', _ref: 'link-a', _weak: true, _strengthenOnPublish: { type: 'link' } },
        soft: { _type: 'reference', _ref: 'link-b', _weak: true, _strengthenOnPublish: { type: 'link', weak: true } },
        list: [{ _ref: 'x', _weak: true, _strengthenOnPublish: {} }],
      }),
    ).toEqual({ card: { _type: 'reference', _ref: 'link-a' }, soft: { _type: 'reference', _ref: 'link-b', _weak: true }, list: [{ _ref: 'x' }] });
  });
});
