// The rich text of intros, section bodies and sign-offs. Every feature an issue uses
// is here and nothing else, so every renderer can handle everything an editor can write.
import { BlockquoteIcon } from '@sanity/icons/Blockquote';
import { ImageIcon } from '@sanity/icons/Image';
import { InlineElementIcon } from '@sanity/icons/InlineElement';
import { defineArrayMember, defineField, defineType } from 'sanity';
import { EditorialNotePreview } from '../../studio/components/EditorialNotePreview.tsx';
import { InlineAside } from '../../studio/components/InlineAside.tsx';
import { checkAlt } from '../validation.ts';

export const portableText = defineType({
  name: 'portableText',
  title: 'Rich text',
  type: 'array',
  of: [
    defineArrayMember({
      type: 'block',
      styles: [
        { title: 'Normal', value: 'normal' },
        { title: 'Heading', value: 'h3' },
        { title: 'Sub-heading', value: 'h4' },
        { title: 'Quote', value: 'blockquote' },
      ],
      lists: [
        { title: 'Bullets', value: 'bullet' },
        { title: 'Numbered', value: 'number' },
      ],
      marks: {
        decorators: [
          { title: 'Strong', value: 'strong' },
          { title: 'Emphasis', value: 'em' },
          { title: 'Code', value: 'code' },
          { title: 'Strike', value: 'strike-through' },
        ],
        annotations: [{ type: 'externalLink' }, { type: 'linkReference' }],
      },
      // Both kinds of aside are the same type; their titles and icons tell them apart in
      // the toolbar, where Sanity names them "Insert <title> (inline|block)". Components
      // given here replace the type's, so the note's preview is named again.
      of: [defineArrayMember({ type: 'editorialNote', title: 'Inline aside', icon: InlineElementIcon, components: { inlineBlock: InlineAside, preview: EditorialNotePreview } })],
    }),
    defineArrayMember({ type: 'editorialNote', title: 'Block aside', icon: BlockquoteIcon, components: { preview: EditorialNotePreview } }),
    defineArrayMember({ type: 'linkCard' }),
    defineArrayMember({
      type: 'image',
      icon: ImageIcon,
      fields: [
        defineField({
          name: 'alt',
          title: 'Alternative text',
          type: 'string',
          description: 'What the image shows, for screen readers and email clients that block images.',
          validation: (rule) => rule.custom(checkAlt),
        }),
        defineField({ name: 'caption', title: 'Caption', type: 'string' }),
        defineField({ name: 'link', title: 'Link', type: 'url', description: 'Where a click on the image goes (optional).' }),
        defineField({
          name: 'url',
          title: 'Image address',
          type: 'url',
          description: 'An image kept at its original address by the import; upload the file above to host it with the site instead.',
          hidden: ({ parent }) => !(parent as { url?: string } | undefined)?.url,
        }),
      ],
    }),
  ],
});
