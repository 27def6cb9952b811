// Editorial rules shared by the Studio's validation (schemas/) and `newsdesk check`,
// so an editor hears the same thing in both places.

/** Inbox clients show roughly 90–140 characters of preheader; longer is cut mid-word. */
export const summaryMaxLength = 140;
export const summaryMinLength = 20;

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** URLs that may appear as links in rendered output. */
export function isSafeLinkUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:';
  } catch {
    return false;
  }
}

export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 96)
    .replace(/-+$/g, '');
}
