// Annotation: a link from text to any web page or mail address.
import { LinkIcon } from '@sanity/icons/Link';
import { defineField, defineType } from 'sanity';
import { externalHrefMessage } from '../validation.ts';

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
      validation: (rule) => rule.required().uri({ scheme: ['http', 'https', 'mailto'] }).error(externalHrefMessage),
    }),
  ],
});
