// The "Preview" view of an issue: the preview server's email, web and plain-text
// renderings in an iframe, reloaded whenever the document changes.
import { LaunchIcon } from '@sanity/icons/Launch';
import { Box, Button, Card, Flex, Tab, TabList, Text } from '@sanity/ui';
import { useState } from 'react';
import type { UserViewComponent } from 'sanity/structure';
import { studioEnv } from '../env.ts';
import { issuePreviewUrl, previewFormats, type PreviewFormat } from '../preview-urls.ts';
import { usePreviewTarget } from '../use-preview-target.ts';

export const IssuePreviewPane: UserViewComponent = (props) => {
  const [format, setFormat] = useState<PreviewFormat>('email');
  const id = props.documentId;
  const target = usePreviewTarget();
  const src = issuePreviewUrl(target, id, format);
  const revision = (props.document.displayed as { _rev?: string } | undefined)?._rev ?? 'new';
  return (
    <Flex direction="column" height="fill">
      <Card padding={2} borderBottom>
        <Flex align="center" gap={2}>
          <TabList gap={1}>
            {previewFormats.map((f) => (
              <Tab
                key={f.id}
                id={`preview-tab-${f.id}`}
                aria-controls="issue-preview-frame"
                label={f.title}
                selected={format === f.id}
                onClick={() => setFormat(f.id)}
              />
            ))}
          </TabList>
          <Box flex={1} />
          <Button as="a" href={src} target="_blank" rel="noreferrer" mode="bleed" icon={LaunchIcon} text="Open" />
        </Flex>
      </Card>
      <Card flex={1} tone="transparent">
        {target.previewSecret === '' ? (
          <Box padding={3}>
            <Text size={1} muted>
              Set SANITY_STUDIO_PREVIEW_SECRET (and SANITY_STUDIO_PREVIEW_URL if the server is not on {studioEnv.previewUrl}) so the preview server accepts the Studio.
            </Text>
          </Box>
        ) : null}
        <iframe
          id="issue-preview-frame"
          key={`${format}-${revision}`}
          title={`Issue preview (${format})`}
          src={src}
          style={{ border: 0, width: '100%', height: '100%', minHeight: '70vh', background: 'white' }}
        />
      </Card>
    </Flex>
  );
};
