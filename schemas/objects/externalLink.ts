// Annotation: a link from text to any web page or mail address.
import { LinkIcon } from '@sanity/icons/Link';
import { defineField, defineType } from 'sanity';
import { TypedLinkMark } from '../../studio/components/LinkMarks.tsx';
import { linkHealthCheck } from '../../studio/link-health.ts';
import { lakeClient } from '../lake-client.ts';
import { checkLinkHref } from '../validation.ts';

export const externalLink = defineType({
  name: 'externalLink',
  title: 'External link',
  type: 'object',
  icon: LinkIcon,
  // Drawn apart from a link from the inbox in the text (studio/components/LinkMarks.tsx).
  components: { annotation: TypedLinkMark },
  fields: [
    defineField({
      name: 'href',
      title: 'URL',
      // A string, not Sanity's url type: that type always adds its own generic URL message
      // beside the rule book's, which names the section and the link.
      type: 'string',
      description: 'https://…, http://… or mailto:…',
      validation: (rule) => [rule.custom(checkLinkHref), rule.custom((value, context) => linkHealthCheck.forUrl(value, lakeClient(context))).warning()],
    }),
  ],
});
