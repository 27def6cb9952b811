// The Studio's desk: the link inbox by triage status (with live counts), issues by
// number, link health (what `newsdesk links check` found broken or moved), tags, and the
// one Settings document.
import { ActivityIcon } from '@sanity/icons/Activity';
import { CogIcon } from '@sanity/icons/Cog';
import { EnvelopeIcon } from '@sanity/icons/Envelope';
import { InboxIcon } from '@sanity/icons/Inbox';
import { TagIcon } from '@sanity/icons/Tag';
import { map } from 'rxjs';
import type { DefaultDocumentNodeResolver, StructureBuilder, StructureResolver, StructureResolverContext } from 'sanity/structure';
import { linkStatusOptions } from '../schemas/documents/link.ts';
import { newsletterDocumentId } from '../schemas/documents/newsletter.ts';
import { IssueDeliveryPane } from './components/IssueDeliveryPane.tsx';
import { IssuePreviewPane } from './components/IssuePreviewPane.tsx';

export const structureApiVersion = '2025-02-19';

export type LinkStatusCounts = Record<(typeof linkStatusOptions)[number]['value'], number>;

/** One count per status; with the drafts perspective an edited link counts once. */
export const linkStatusCountsQuery = `{
  "inbox": count(*[_type == "link" && (status == "inbox" || !defined(status))]),
  "shortlisted": count(*[_type == "link" && status == "shortlisted"]),
  "discarded": count(*[_type == "link" && status == "discarded"])
}`;

export function linkStatusTitle(title: string, count: number | undefined): string {
  return typeof count === 'number' ? `${title} (${count})` : title;
}

function linkList(S: StructureBuilder, counts: Partial<LinkStatusCounts>) {
  return S.list()
    .id('links')
    .title('Link inbox')
    .items([
      ...linkStatusOptions.map((status) =>
        S.listItem()
          .id(status.value)
          .title(linkStatusTitle(status.title, counts[status.value]))
          .schemaType('link')
          .child(
            S.documentList()
              .id(`links-${status.value}`)
              .title(status.title)
              .schemaType('link')
              .apiVersion(structureApiVersion)
              .filter(status.value === 'inbox' ? '_type == "link" && (status == $status || !defined(status))' : '_type == "link" && status == $status')
              .params({ status: status.value })
              .defaultOrdering([{ field: 'capturedAt', direction: 'desc' }]),
          ),
      ),
      S.divider(),
      S.listItem()
        .id('all')
        .title('All links')
        .schemaType('link')
        .child(S.documentTypeList('link').title('All links').defaultOrdering([{ field: 'capturedAt', direction: 'desc' }])),
    ]);
}

function linkInbox(S: StructureBuilder, context: StructureResolverContext) {
  return () =>
    context.documentStore
      .listenQuery(
        { fetch: linkStatusCountsQuery, listen: '*[_type == "link"]' },
        {},
        { apiVersion: structureApiVersion, perspective: 'drafts', throttleTime: 1000, tag: 'newsdesk.link-counts' },
      )
      .pipe(map((counts) => linkList(S, (counts ?? {}) as Partial<LinkStatusCounts>)));
}

/** Checks an editor should act on, worst first: broken, then moved; newest check first within each. */
export const linkHealthFilter = '_type == "linkCheck" && outcome in ["broken", "moved"]';

function linkHealth(S: StructureBuilder) {
  const checkedFirst = [{ field: 'checkedAt', direction: 'desc' as const }];
  return S.list()
    .id('link-health')
    .title('Link health')
    .items([
      S.listItem()
        .id('needs-attention')
        .title('Broken and moved')
        .schemaType('linkCheck')
        .child(S.documentList().id('link-health-attention').title('Broken and moved').schemaType('linkCheck').apiVersion(structureApiVersion).filter(linkHealthFilter).defaultOrdering([{ field: 'outcome', direction: 'asc' }, ...checkedFirst])),
      S.listItem()
        .id('all-checks')
        .title('All checks')
        .schemaType('linkCheck')
        .child(S.documentTypeList('linkCheck').title('All checks').defaultOrdering(checkedFirst)),
    ]);
}

export const structure: StructureResolver = (S, context) =>
  S.list()
    .title('newsdesk')
    .items([
      S.listItem().id('links').title('Link inbox').icon(InboxIcon).child(linkInbox(S, context)),
      S.listItem()
        .id('issues')
        .title('Issues')
        .icon(EnvelopeIcon)
        .schemaType('issue')
        .child(S.documentTypeList('issue').title('Issues').defaultOrdering([{ field: 'number', direction: 'desc' }])),
      S.listItem().id('link-health').title('Link health').icon(ActivityIcon).child(linkHealth(S)),
      S.documentTypeListItem('tag').title('Tags').icon(TagIcon),
      S.divider(),
      S.listItem()
        .id('settings')
        .title('Settings')
        .icon(CogIcon)
        .schemaType('newsletter')
        .child(S.editor().id('settings').title('Settings').schemaType('newsletter').documentId(newsletterDocumentId)),
    ]);

export const defaultDocumentNode: DefaultDocumentNodeResolver = (S, { schemaType }) =>
  schemaType === 'issue'
    ? S.document().views([
        S.view.form(),
        S.view.component(IssuePreviewPane).id('preview').title('Preview'),
        S.view.component(IssueDeliveryPane).id('delivery').title('Delivery'),
      ])
    : S.document();
