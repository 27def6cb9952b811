// What the transactional emails share: the page frame (react-email components with
// inline styles, which is what mail clients honour) and the footer every mail from a
// list must carry (who sent it and the postal address).
import { Body, Container, Head, Hr, Html, Preview, Section, Text } from '@react-email/components';
import type { ReactNode } from 'react';
import type { Settings } from '../../content/model.ts';
import { readableOn } from '../colour.ts';

// Text and button colours on the white card; the accent is moved just far enough to read
// (white on the button, the accent itself on the card), whatever colour the settings hold.
const card = '#ffffff';
const onCard = (accent: string) => readableOn(accent, card);

export const emailStyles = {
  body: { backgroundColor: '#f4f5f7', margin: 0, padding: '24px 0', fontFamily: "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif" },
  container: { backgroundColor: card, maxWidth: '560px', margin: '0 auto', padding: '32px 28px', borderRadius: '6px' },
  brand: (accent: string) => ({ fontSize: '13px', fontWeight: 700, letterSpacing: '.04em', textTransform: 'uppercase' as const, color: onCard(accent), margin: '0 0 16px' }),
  heading: { fontSize: '24px', lineHeight: '1.3', margin: '0 0 16px', color: '#1f2328' },
  text: { fontSize: '16px', lineHeight: '1.6', color: '#1f2328', margin: '0 0 16px' },
  button: (accent: string) => ({ backgroundColor: onCard(accent), color: card, padding: '12px 22px', borderRadius: '4px', fontSize: '16px', fontWeight: 600, textDecoration: 'none' }),
  /** Links take the accent too: the mail clients' default blue is below 4.5:1 on white. */
  link: (accent: string) => ({ color: onCard(accent), textDecoration: 'underline' }),
  muted: { fontSize: '13px', lineHeight: '1.5', color: '#6b7280', margin: '0 0 8px' },
  hr: { borderColor: '#e5e7eb', margin: '24px 0' },
} as const;

/**
 * Text someone typed (an address, a name), isolated so that right-to-left override
 * characters in it cannot reorder the sentence around it. Not <bdi>: Gmail, Outlook and
 * Yahoo drop the element; a span with dir and unicode-bidi is kept everywhere.
 */
export function Isolated({ dir, children }: { dir: 'ltr' | 'auto'; children: ReactNode }) {
  return (
    <span dir={dir} style={{ unicodeBidi: 'isolate' }}>
      {children}
    </span>
  );
}

export function EmailFrame({ settings, preview, children }: { settings: Settings; preview: string; children: ReactNode }) {
  return (
    <Html lang={settings.language}>
      <Head />
      <Preview>{preview}</Preview>
      <Body style={emailStyles.body}>
        <Container style={emailStyles.container}>
          <Text style={emailStyles.brand(settings.accentColor)}>{settings.title}</Text>
          {children}
          <Hr style={emailStyles.hr} />
          <Section>
            <Text style={emailStyles.muted}>
              {settings.senderName} · {settings.postalAddress.replace(/\s*\n\s*/g, ', ')}
            </Text>
          </Section>
        </Container>
      </Body>
    </Html>
  );
}
