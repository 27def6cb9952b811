// Sent once a subscription is confirmed: says what arrives and when, points to the
// archive, and carries a working unsubscribe link from the very first mail.
import { Heading, Link, Text } from '@react-email/components';
import type { Settings } from '../../content/model.ts';
import { EmailFrame, emailStyles, Isolated } from './parts.tsx';

export interface WelcomeEmailProps {
  settings: Settings;
  name: string | undefined;
  archiveUrl: string;
  unsubscribeUrl: string;
}

export function WelcomeEmail({ settings, name, archiveUrl, unsubscribeUrl }: WelcomeEmailProps) {
  return (
    <EmailFrame settings={settings} preview={`You are subscribed to ${settings.title}`}>
      <Heading as="h1" style={emailStyles.heading}>
        {name ? (
          <>
            Welcome, <Isolated dir="auto">{name}</Isolated>!
          </>
        ) : (
          'Welcome aboard!'
        )}
      </Heading>
      <Text style={emailStyles.text}>
        Your subscription to {settings.title} is confirmed. Each new issue will arrive in this inbox from{' '}
        {settings.senderName}.
      </Text>
      {settings.description ? <Text style={emailStyles.text}>{settings.description}</Text> : null}
      <Text style={emailStyles.text}>
        Past issues are in the <Link href={archiveUrl} style={emailStyles.link(settings.accentColor)}>archive</Link>.
      </Text>
      <Text style={emailStyles.muted}>
        Changed your mind? <Link href={unsubscribeUrl} style={emailStyles.link(settings.accentColor)}>Unsubscribe</Link> with one click, at any time.
      </Text>
    </EmailFrame>
  );
}
