// The inline aside as a chip in the text: Sanity's default inline-object chip is one
// line high with line-height 0 and about 160px wide, so a longer preview wrapped onto
// itself. Here the chip keeps Sanity's behaviour (toolbar popover, edit dialog) but is
// as tall as a line of text and holds the note on one line, cut with an ellipsis.
import type { BlockProps } from 'sanity';
import { styled } from 'styled-components';

const Frame = styled.span`
  & > [data-ui='Card'] {
    height: auto;
    line-height: inherit;
    vertical-align: baseline;
    padding: 0;
  }
  & > [data-ui='Card'] > span {
    max-width: 18em;
  }
`;

export function InlineAside(props: BlockProps) {
  return <Frame data-testid="inline-aside">{props.renderDefault(props)}</Frame>;
}
