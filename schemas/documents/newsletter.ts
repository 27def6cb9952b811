// The newsletter's settings, one document with the fixed id "newsletter": who sends
// it, where the archive lives, and what every email footer must carry.
import { CogIcon } from '@sanity/icons/Cog';
import { defineArrayMember, defineField, defineType } from 'sanity';
import { checkEmail, checkHexColor, requireText, siteUrlMessage } from '../validation.ts';

export const newsletterDocumentId = 'newsletter';

export const newsletter = defineType({
  name: 'newsletter',
  title: 'Settings',
  type: 'document',
  icon: CogIcon,
  fields: [
    defineField({
      name: 'title',
      title: 'Newsletter title',
      type: 'string',
      validation: (rule) => rule.custom(requireText('Name the newsletter; it heads every email and page.')),
    }),
    defineField({ name: 'description', title: 'Description', type: 'text', rows: 2, description: 'One line for the archive home page and feeds.' }),
    defineField({
      name: 'siteUrl',
      title: 'Site URL',
      type: 'url',
      validation: (rule) => rule.required().uri({ scheme: ['http', 'https'] }).error(siteUrlMessage),
    }),
    defineField({
      name: 'senderName',
      title: 'Sender name',
      type: 'string',
      validation: (rule) => rule.custom(requireText('Enter the name subscribers see in the From line.')),
    }),
    defineField({
      name: 'senderEmail',
      title: 'Sender email',
      type: 'string',
      validation: (rule) => rule.custom(checkEmail(true, 'address issues are sent from')),
    }),
    defineField({
      name: 'replyTo',
      title: 'Reply-to email',
      type: 'string',
      validation: (rule) => rule.custom(checkEmail(false, 'reply-to address')),
    }),
    defineField({
      name: 'postalAddress',
      title: 'Postal address',
      type: 'text',
      rows: 3,
      validation: (rule) =>
        rule.custom(requireText('Enter a postal address: bulk-mail rules require one in every email footer.')),
    }),
    defineField({
      name: 'accentColor',
      title: 'Accent colour',
      type: 'string',
      description: 'Hex colour for links and headings, e.g. #1d6b5f.',
      validation: (rule) => rule.custom(checkHexColor),
    }),
    defineField({ name: 'logo', title: 'Logo', type: 'image' }),
    defineField({ name: 'language', title: 'Language', type: 'string', initialValue: 'en', description: 'BCP 47 code, e.g. en or de.' }),
    defineField({
      name: 'asideSignature',
      title: 'Aside signature',
      type: 'string',
      initialValue: '—Ed.',
      description: 'What signs an editorial aside in imported back-issues, e.g. "—Ed." in "[… —Ed.]".',
    }),
    defineField({
      name: 'defaultSectionHeadings',
      title: 'Default section headings',
      type: 'array',
      of: [defineArrayMember({ type: 'string' })],
      description: 'Headings a new issue starts with, in order.',
    }),
  ],
  preview: {
    select: { title: 'title' },
    prepare: ({ title }: { title?: string }) => ({ title: title || 'Settings', subtitle: 'Newsletter settings' }),
  },
});
