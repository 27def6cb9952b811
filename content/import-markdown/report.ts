// What an import prints: the detailed summary of one issue, and for an archive the
// table of every file (file, number, sections, links, asides, warnings, refused)
// followed by the counts and time taken, the images kept, the refusals grouped by reason
// and the warnings grouped by kind.
import type { ImportWarning } from './errors.ts';
import type { ImportResult } from './import-issue.ts';
import type { ImportSummary } from './plan.ts';

export function formatIssueSummary(s: ImportSummary): string[] {
  const lines = [
    `Issue ${s.number}: ${s.title} (${s.date}${s.byline ? `, by ${s.byline}` : ''}) → ${s.id}${s.published ? ' (published)' : ' (draft)'}`,
    `${s.sections.length} section(s):`,
    ...s.sections.map((x, i) => `  ${String(i + 1).padStart(2)}. ${x.heading} — ${x.blocks} block(s), ${x.links} link(s), ${x.notes} note(s)`),
    `Links: ${s.links.total} in the text, ${s.links.distinct} distinct pages; ${s.links.created} new link document(s), ${s.links.reused} reused${s.links.mail ? `, ${s.links.mail} mailto link(s) kept as they are` : ''}`,
    `Editorial notes: ${s.notes.inline + s.notes.block} (${s.notes.inline} inline, ${s.notes.block} whole-paragraph)`,
    `Lists: ${s.lists.bullet} bullet item(s), ${s.lists.number} numbered item(s)`,
    ...(s.tags.length ? [`Tags: ${s.tags.join(', ')}`] : []),
    `Fidelity: ${s.fidelity.characters} characters, ${s.fidelity.links} link(s) in order, ${s.fidelity.headings} heading(s), ${s.fidelity.listItems} list item(s), ${s.fidelity.quotes} quote(s), ${s.fidelity.asides} aside(s), ${s.fidelity.images} image(s) — all kept`,
  ];
  if (s.keptAsDraft.length) lines.push('Not published: the rules refuse to publish it, so it is stored as a draft to finish in the Studio:', ...s.keptAsDraft.map((m) => `  ${m}`));
  const site = Object.entries(s.siteSyntax);
  if (site.length) lines.push(`Site syntax left out: ${site.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (s.comments) lines.push(`HTML comments left out: ${s.comments} (never visible in the original)`);
  if (s.replaced.length) lines.push(`Replaces: ${s.replaced.join(', ')}`);
  if (s.warnings.length) lines.push(`Warnings (${s.warnings.length}): imported, but not exactly as written:`, ...s.warnings.map((w) => `  ${s.file}:${w.line}: ${w.message}`));
  return lines;
}

/** Why a file was refused, in a few words, to group an archive's refusals; the full messages follow. */
const refusalReasons: Array<[RegExp, string]> = [
  [/--strict refuses/, '--strict'],
  [/already exists/, 'number already stored'],
  [/already taken by/, 'number repeated in the import'],
  [/no issue number/, 'no number'],
  [/: no date/, 'no date'],
  [/not UTF-8|not text/, 'not text'],
  [/writing failed/, 'write failed'],
  [/issue number "/, 'bad number'],
  [/front matter|metadata/, 'metadata'],
  [/the file is empty/, 'empty file'],
  [/the picture .* is not an image/, 'unreadable picture'],
];

export function describeRefusal(error: { message: string; hint?: string | undefined }): string {
  // The fidelity check's refusals all say the converter would have lost something.
  if (error.hint?.includes('converter limitation')) return 'would lose content';
  return refusalReasons.find(([pattern]) => pattern.test(error.message))?.[1] ?? 'other';
}

const countBy = (keys: string[]) => {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
};

export function formatArchiveReport(results: ImportResult[], options: { verbose?: boolean; seconds?: number } = {}): string[] {
  const rows = results.map((r) =>
    r.ok
      ? [r.file, String(r.summary.number), String(r.summary.sections.length), String(r.summary.links.total), String(r.summary.notes.inline + r.summary.notes.block), String(r.summary.warnings.length), '']
      : [r.file, '', '', '', '', '', 'refused'],
  );
  const header = ['file', 'number', 'sections', 'links', 'asides', 'warnings', 'refused'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), ...rows.map(line)];
  const ok = results.filter((r) => r.ok);
  const refused = results.filter((r) => !r.ok);
  const took = options.seconds === undefined ? '' : ` (${options.seconds < 10 ? options.seconds.toFixed(1) : Math.round(options.seconds)} s)`;
  out.push('', `${ok.length} of ${results.length} file(s) imported, ${refused.length} refused${took}.`);
  const drafts = ok.flatMap((r) => (r.ok && r.summary.keptAsDraft.length ? [r.summary] : []));
  if (drafts.length) {
    out.push(`Kept as drafts, not published (${drafts.length}): the rules refuse to publish them; finish them in the Studio:`);
    for (const d of drafts) out.push(`  ${d.file} (issue ${d.number}): ${d.keptAsDraft.join(' ')}`);
  }
  const images = ok.reduce((sum, r) => (r.ok ? { copied: sum.copied + r.summary.images.copied, remote: sum.remote + r.summary.images.remote } : sum), { copied: 0, remote: 0 });
  if (images.copied + images.remote > 0) out.push(`Images: ${images.copied + images.remote} kept, ${images.copied} copied into the site's media, ${images.remote} at their web address.`);
  if (refused.length) {
    out.push('', `Refused (${refused.length}), by reason: ${countBy(refused.map((r) => (r.ok ? '' : describeRefusal(r.error))))}; nothing of these files was stored:`);
    for (const r of refused) if (!r.ok) out.push(`  ${r.error.message}`, ...(r.error.hint ? [`    → ${r.error.hint}`] : []));
  }
  const warnings: Array<ImportWarning & { file: string }> = ok.flatMap((r) => (r.ok ? r.summary.warnings.map((w) => ({ ...w, file: r.file })) : []));
  if (warnings.length) {
    out.push('', `Warnings (${warnings.length}), by kind: ${countBy(warnings.map((w) => w.kind))}`);
    if (options.verbose) out.push(...warnings.map((w) => `  ${w.file}:${w.line}: ${w.message}`));
    else out.push('  (--verbose lists each with its file and line)');
  }
  return out;
}
