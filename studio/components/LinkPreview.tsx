// A link's row in the Studio's lists: the usual title and subtitle, and in front of the
// subtitle "Linked in #12, #31" when published issues already linked the page — so the
// inbox shows at a glance what readers have seen. Every row shares one cached read of the
// published issues (studio/linked-in.ts), not one query per row.
import { useEffect, useState } from 'react';
import { useClient, type PreviewProps } from 'sanity';
import type { LinkedIn } from '../../content/capture/linked-in.ts';
import { validationApiVersion } from '../../schemas/lake-client.ts';
import { linkedInCheck, linkedInSubtitle } from '../linked-in.ts';

export function LinkPreview(props: PreviewProps & { url?: unknown }) {
  const client = useClient({ apiVersion: validationApiVersion });
  const url = typeof props.url === 'string' ? props.url : undefined;
  const [issues, setIssues] = useState<LinkedIn[]>([]);
  useEffect(() => {
    if (!url) return;
    let live = true;
    linkedInCheck.lookup(client.withConfig({ perspective: 'raw' })).then(
      (lookup) => live && setIssues(lookup([url])),
      // Without the answer the row simply stays as it was.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, url]);
  const subtitle = typeof props.subtitle === 'string' ? linkedInSubtitle(props.subtitle, issues) : props.subtitle;
  return props.renderDefault({ ...props, subtitle });
}
