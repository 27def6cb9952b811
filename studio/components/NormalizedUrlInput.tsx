// Keeps a link's normalizedUrl (its de-duplication key) in step with its URL, so a
// link created in the Studio matches one captured from the CLI. Shown read-only.
// A key written by capture is left alone until the editor changes the URL, so merely
// opening a captured link never creates a draft.
import { useEffect, useRef } from 'react';
import { set, unset, useFormValue, type StringInputProps } from 'sanity';
import { normalizeLinkUrl } from '../../schemas/validation.ts';

export function NormalizedUrlInput(props: StringInputProps) {
  const url = useFormValue(['url']);
  const urlAtOpen = useRef(url);
  const { value, onChange } = props;
  useEffect(() => {
    const urlChanged = url !== urlAtOpen.current;
    if (!urlChanged && value) return;
    const next = typeof url === 'string' ? normalizeLinkUrl(url) : undefined;
    if (next !== value) onChange(next ? set(next) : unset());
  }, [url, value, onChange]);
  return props.renderDefault({ ...props, readOnly: true });
}
