// The Studio's frame with one fix to Sanity's toolbars: a Portable Text toolbar row keeps
// hidden, wider copies of its buttons to measure them, inside a box that clips with
// `overflow: hidden`, which a browser may still scroll (bringing a focused or clicked
// button into view); the row then slid sideways and hid its first buttons (Strong,
// Emphasis) behind the edge. `overflow: clip` clips the same and never scrolls.
import type { LayoutProps } from 'sanity';
import { createGlobalStyle } from 'styled-components';

const ToolbarRows = createGlobalStyle`
  [data-ui='CollapseMenu'] {
    overflow: clip;
  }
`;

export function StudioLayout(props: LayoutProps) {
  return (
    <>
      <ToolbarRows />
      {props.renderDefault(props)}
    </>
  );
}
