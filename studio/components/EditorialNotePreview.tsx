// How an editorial note looks while writing: italic, muted and bracketed, signed
// "—Ed.", the same convention every output uses, so the aside never reads as body text.
import { Box, Text } from '@sanity/ui';
import type { PreviewProps } from 'sanity';

export function EditorialNotePreview(props: PreviewProps) {
  const text = typeof props.title === 'string' ? props.title : '';
  const signature = typeof props.subtitle === 'string' && props.subtitle ? props.subtitle : 'Ed.';
  if (props.layout === 'inline') {
    // One line, tinted, cut by CSS with an ellipsis; the full note is the tooltip.
    const full = `[${text || '…'} —${signature}]`;
    return (
      <span
        data-testid="inline-aside-text"
        title={full}
        style={{
          display: 'block',
          overflow: 'hidden',
          whiteSpace: 'nowrap',
          textOverflow: 'ellipsis',
          lineHeight: 1.5,
          fontSize: '0.875em',
          fontStyle: 'italic',
          padding: '0 0.4em',
          borderRadius: 3,
          background: 'rgba(214, 160, 32, 0.18)',
        }}
      >
        {full}
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
