// One titled part of an issue ("News", "Package Updates", …) with its own rich text
// and, optionally, the tag whose topic page it feeds.
import { BlockContentIcon } from '@sanity/icons/BlockContent';
import { defineField, defineType } from 'sanity';
import { requireText } from '../validation.ts';

export const section = defineType({
  name: 'section',
  title: 'Section',
  type: 'object',
  icon: BlockContentIcon,
  fields: [
    defineField({
      name: 'heading',
      title: 'Heading',
      type: 'string',
      validation: (rule) => rule.custom(requireText('Give the section a heading, e.g. "News" or "Package Updates".')),
    }),
    defineField({ name: 'topic', title: 'Topic', type: 'reference', to: [{ type: 'tag' }], description: 'Optional: lists this section on the tag’s page.' }),
    defineField({ name: 'body', title: 'Body', type: 'portableText' }),
  ],
  preview: {
    select: { heading: 'heading', topic: 'topic.title', body: 'body' },
    prepare: ({ heading, topic, body }: { heading?: string; topic?: string; body?: unknown[] }) => ({
      title: heading || 'Untitled section',
      subtitle: [topic, `${Array.isArray(body) ? body.length : 0} block(s)`].filter(Boolean).join(' · '),
    }),
  },
});
