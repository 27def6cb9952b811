// The two kinds of link as they look in the text: Sanity draws every annotation with the
// same dashed underline, so a link from the inbox and a link typed by hand could not be
// told apart while writing. A link from the inbox is underlined solid in green and tagged
// "inbox"; a typed link is underlined in blue and marked with an arrow. The marks are
// drawn in CSS (no text enters the editor) and keep Sanity's behaviour: toolbar popover,
// edit dialog, the validation tint.
import type { BlockAnnotationProps } from 'sanity';
import { styled } from 'styled-components';

const inbox = '#2f8a57';
const typed = '#2763c4';

const Frame = styled.span`
  &[data-testid='inbox-link'] > span {
    border-bottom: 2px solid ${inbox};
  }
  &[data-testid='inbox-link'] > span::after {
    content: 'inbox';
    margin-left: 0.25em;
    padding: 0 0.3em;
    border-radius: 0.4em;
    font-size: 0.7em;
    vertical-align: 0.15em;
    color: #ffffff;
    background: ${inbox};
  }
  &[data-testid='typed-link'] > span {
    border-bottom: 2px dotted ${typed};
  }
  &[data-testid='typed-link'] > span::after {
    content: '\\2197';
    margin-left: 0.1em;
    font-size: 0.8em;
    color: ${typed};
  }
`;

export function InboxLinkMark(props: BlockAnnotationProps) {
  return <Frame data-testid="inbox-link" title="Link from the inbox">{props.renderDefault(props)}</Frame>;
}

export function TypedLinkMark(props: BlockAnnotationProps) {
  return <Frame data-testid="typed-link" title="External link">{props.renderDefault(props)}</Frame>;
}
