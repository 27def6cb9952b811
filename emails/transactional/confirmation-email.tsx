// The double opt-in mail: sent after the subscribe form, carrying the signed link that
// turns a pending subscriber into an active one. It says how long the link lasts and
// what to do if the reader never asked (nothing: we will not write again).
import { Button, Heading, Link, Section, Text } from '@react-email/components';
import type { Settings } from '../../content/model.ts';
import { EmailFrame, emailStyles, Isolated } from './parts.tsx';

export interface ConfirmationEmailProps {
  settings: Settings;
  email: string;
  confirmUrl: string;
  ttlHours: number;
}

export function ConfirmationEmail({ settings, email, confirmUrl, ttlHours }: ConfirmationEmailProps) {
  const lasts = ttlHours % 24 === 0 ? `${ttlHours / 24} day${ttlHours === 24 ? '' : 's'}` : `${ttlHours} hour${ttlHours === 1 ? '' : 's'}`;
  return (
    <EmailFrame settings={settings} preview={`One click to start receiving ${settings.title}`}>
      <Heading as="h1" style={emailStyles.heading}>
        Please confirm your subscription
      </Heading>
      <Text style={emailStyles.text}>
        Someone, hopefully you, asked for {settings.title} to be sent to <Isolated dir="ltr">{email}</Isolated>. Confirm below and the next issue will
        land in this inbox.
      </Text>
      <Section style={{ margin: '8px 0 24px' }}>
        <Button href={confirmUrl} style={emailStyles.button(settings.accentColor)}>
          Yes, subscribe me
        </Button>
      </Section>
      <Text style={emailStyles.muted}>
        The button works for {lasts}. If it does not open, paste this address into your browser:{' '}
        <Link href={confirmUrl} style={emailStyles.link(settings.accentColor)}>{confirmUrl}</Link>
      </Text>
      <Text style={emailStyles.muted}>Did not ask for this? Ignore this email and you will not hear from us again.</Text>
    </EmailFrame>
  );
}
