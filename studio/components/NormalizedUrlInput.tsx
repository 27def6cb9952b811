// Keeps a link's normalizedUrl (its de-duplication key) in step with its URL, so a
// link created in the Studio matches one captured from the CLI. Shown read-only.
import { useEffect } from 'react';
import { set, unset, useFormValue, type StringInputProps } from 'sanity';
import { normalizeLinkUrl } from '../../schemas/validation.ts';

export function NormalizedUrlInput(props: StringInputProps) {
  const url = useFormValue(['url']);
  const next = typeof url === 'string' ? normalizeLinkUrl(url) : undefined;
  const { value, onChange } = props;
  useEffect(() => {
    if (next !== value) onChange(next ? set(next) : unset());
  }, [next, value, onChange]);
  return props.renderDefault({ ...props, readOnly: true });
}
