// How an editorial note looks while writing: italic, muted and bracketed, signed
// "—Ed.", the same convention every output uses, so the aside never reads as body text.
import { Box, Text } from '@sanity/ui';
import type { PreviewProps } from 'sanity';

const maxInlineLength = 80;

export function EditorialNotePreview(props: PreviewProps) {
  const text = typeof props.title === 'string' ? props.title : '';
  const signature = typeof props.subtitle === 'string' && props.subtitle ? props.subtitle : 'Ed.';
  if (props.layout === 'inline') {
    const short = text.length > maxInlineLength ? `${text.slice(0, maxInlineLength - 1)}…` : text;
    return (
      <span style={{ fontStyle: 'italic', opacity: 0.75 }}>
        [{short || '…'} —{signature}]
      </span>
    );
  }
  return (
    <Box padding={3}>
      <Text muted size={1} style={{ fontStyle: 'italic' }}>
        [{text || '…'} —{signature}]
      </Text>
    </Box>
  );
}
