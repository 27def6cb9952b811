// Annotation: a link from text to any web page or mail address.
import { LinkIcon } from '@sanity/icons/Link';
import { defineField, defineType } from 'sanity';
import { checkLinkHref } from '../validation.ts';

export const externalLink = defineType({
  name: 'externalLink',
  title: 'External link',
  type: 'object',
  icon: LinkIcon,
  fields: [
    defineField({
      name: 'href',
      title: 'URL',
      type: 'url',
      description: 'https://…, http://… or mailto:…',
      // Sanity's uri() lets a space in the host through; the rule book's URL test does not.
      validation: (rule) => rule.custom(checkLinkHref),
    }),
  ],
});
