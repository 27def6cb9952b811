// The second voice of an issue: a short bracketed aside signed "—Ed.", used inline
// inside a paragraph and as a block of its own. Its preview in the editor is italic and
// bracketed so it reads as an aside while writing, as it will in every output.
import { CommentIcon } from '@sanity/icons/Comment';
import { defineArrayMember, defineField, defineType } from 'sanity';
import { EditorialNotePreview } from '../../studio/components/EditorialNotePreview.tsx';
import { checkNoteBody } from '../validation.ts';

/** Plain text of the note's paragraphs, for previews. */
export function noteText(body: unknown): string {
  if (!Array.isArray(body)) return '';
  return body
    .map((block) =>
      Array.isArray((block as { children?: unknown }).children)
        ? (block as { children: Array<{ text?: unknown }> }).children.map((c) => (typeof c.text === 'string' ? c.text : '')).join('')
        : '',
    )
    .join(' ')
    .trim();
}

export const editorialNote = defineType({
  name: 'editorialNote',
  title: 'Editorial note',
  type: 'object',
  icon: CommentIcon,
  fields: [
    defineField({
      name: 'body',
      title: 'Aside',
      type: 'array',
      // Notes are short: plain paragraphs with emphasis and links, no headings or lists.
      of: [
        defineArrayMember({
          type: 'block',
          styles: [{ title: 'Normal', value: 'normal' }],
          lists: [],
          marks: {
            decorators: [
              { title: 'Strong', value: 'strong' },
              { title: 'Emphasis', value: 'em' },
              { title: 'Code', value: 'code' },
            ],
            annotations: [{ type: 'externalLink' }, { type: 'linkReference' }],
          },
        }),
      ],
      validation: (rule) => rule.custom(checkNoteBody),
    }),
    defineField({
      name: 'signature',
      title: 'Signature',
      type: 'string',
      initialValue: 'Ed.',
      description: 'Printed after the aside as "—Ed.".',
    }),
  ],
  preview: {
    select: { body: 'body', signature: 'signature' },
    prepare: ({ body, signature }: { body?: unknown; signature?: string }) => ({
      title: noteText(body) || '…',
      subtitle: signature || 'Ed.',
    }),
  },
  components: { preview: EditorialNotePreview },
});
