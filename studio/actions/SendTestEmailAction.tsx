// Document action on issues: send this issue to one address through the preview
// server. The address is remembered in this browser for next time.
import { EnvelopeIcon } from '@sanity/icons/Envelope';
import { Button, Flex, Stack, Text, TextInput } from '@sanity/ui';
import { useToast } from '@sanity/ui/toast';
import { useState } from 'react';
import type { DocumentActionComponent } from 'sanity';
import { checkEmail } from '../../schemas/validation.ts';
import { ruleBookReason } from '../delivery-api.ts';
import { requestTestEmail } from '../preview-urls.ts';
import { usePreviewTarget } from '../use-preview-target.ts';

const storageKey = 'newsdesk.testEmailAddress';
const checkAddress = checkEmail(true, 'address to send the test to');

function rememberedAddress(): string {
  try {
    return globalThis.localStorage?.getItem(storageKey) ?? '';
  } catch {
    return '';
  }
}

export const SendTestEmailAction: DocumentActionComponent = (props) => {
  const toast = useToast();
  // The test copy is the issue as edited: judged by the same rule book as a real send.
  const blocked = ruleBookReason(props.draft ?? props.published);
  const target = usePreviewTarget();
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState(rememberedAddress);
  const [sending, setSending] = useState(false);
  const problem = checkAddress(to);

  async function send() {
    if (problem !== true) return;
    setSending(true);
    try {
      globalThis.localStorage?.setItem(storageKey, to.trim());
    } catch {
      // Private windows may refuse storage; sending still works.
    }
    const result = await requestTestEmail(target, props.id, to.trim());
    setSending(false);
    toast.push({ status: result.ok ? 'success' : 'error', title: result.ok ? 'Test email sent' : 'Test email not sent', description: result.message, closable: true });
    if (result.ok) setOpen(false);
  }

  return {
    label: sending ? 'Sending test…' : 'Send test email',
    icon: EnvelopeIcon,
    disabled: sending || (!props.draft && !props.published) || blocked !== undefined,
    title: blocked ?? 'Send this issue (including unpublished changes) to one address',
    onHandle: () => setOpen(true),
    dialog: open
      ? {
          type: 'dialog',
          header: 'Send a test email',
          onClose: () => setOpen(false),
          content: (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                void send();
              }}
            >
              <Stack gap={3}>
                <Text size={1}>The preview server renders this issue and sends it to:</Text>
                <TextInput
                  type="email"
                  autoFocus
                  value={to}
                  placeholder="you@example.org"
                  onChange={(event) => setTo(event.currentTarget.value)}
                />
                {to !== '' && problem !== true ? (
                  <Text size={1} muted>
                    {problem}
                  </Text>
                ) : null}
                <Flex justify="flex-end">
                  <Button type="submit" tone="primary" icon={EnvelopeIcon} text={sending ? 'Sending…' : 'Send'} disabled={sending || problem !== true} />
                </Flex>
              </Stack>
            </form>
          ),
        }
      : null,
  };
};
