// A link row's mark for "already linked": list previews take plain text for their title
// and subtitle but a component for their media (as the Issues list's delivery mark), so
// the media square of a link that published issues already linked shows the latest
// issue's number ("#31") on a tinted square, with "Already linked in #12 (…) and #31 (…)"
// as its label. Every row shares one cached read of the published issues (studio/linked-in.ts).
import { LinkIcon } from '@sanity/icons/Link';
import { useEffect, useState, type ComponentType } from 'react';
import { useClient } from 'sanity';
import type { LinkedIn } from '../../content/capture/linked-in.ts';
import { validationApiVersion } from '../../schemas/lake-client.ts';
import { linkedInCheck, linkedInMark } from '../linked-in.ts';

const media = new Map<string, ComponentType>();

/** The media for a link's preview: the link icon, or the "already linked" mark once known. */
export function linkMedia(url: string | undefined): ComponentType {
  if (!url) return LinkIcon;
  let component = media.get(url);
  // One component per URL: a new one on every render would remount the preview.
  if (!component) {
    component = function LinkedInMark() {
      const client = useClient({ apiVersion: validationApiVersion });
      const [issues, setIssues] = useState<LinkedIn[]>([]);
      useEffect(() => {
        let live = true;
        linkedInCheck.lookup(client.withConfig({ perspective: 'raw' })).then(
          (lookup) => live && setIssues(lookup([url])),
          // Without the answer the row keeps its plain icon.
          () => undefined,
        );
        return () => {
          live = false;
        };
      }, [client]);
      const mark = linkedInMark(issues);
      if (!mark) return <LinkIcon />;
      return (
        <span
          data-testid="link-linked-in-mark"
          title={mark.label}
          aria-label={mark.label}
          role="img"
          style={{ display: 'flex', alignItems: 'center', justifyContent: 'center', width: '100%', height: '100%', fontSize: 11, fontWeight: 600, borderRadius: 3, color: '#2276fc', background: 'rgba(34, 118, 252, 0.12)' }}
        >
          {mark.text}
        </span>
      );
    };
    media.set(url, component);
  }
  return component;
}
