// What an import prints: the detailed summary of one issue, and for an archive the
// table of every file (file, number, sections, links, asides, warnings, refused)
// followed by the refusals and, grouped by kind, the warnings.
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
  const site = Object.entries(s.siteSyntax);
  if (site.length) lines.push(`Site syntax left out: ${site.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (s.comments) lines.push(`HTML comments left out: ${s.comments} (never visible in the original)`);
  if (s.replaced.length) lines.push(`Replaces: ${s.replaced.join(', ')}`);
  if (s.warnings.length) lines.push(`Warnings (${s.warnings.length}): imported, but not exactly as written:`, ...s.warnings.map((w) => `  ${s.file}:${w.line}: ${w.message}`));
  return lines;
}

export function formatArchiveReport(results: ImportResult[], options: { verbose?: boolean } = {}): string[] {
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
  out.push('', `${ok.length} of ${results.length} file(s) imported, ${refused.length} refused.`);
  if (refused.length) {
    out.push('', 'Refused (nothing of these files was stored):');
    for (const r of refused) if (!r.ok) out.push(`  ${r.error.message}`, ...(r.error.hint ? [`    → ${r.error.hint}`] : []));
  }
  const warnings: Array<ImportWarning & { file: string }> = ok.flatMap((r) => (r.ok ? r.summary.warnings.map((w) => ({ ...w, file: r.file })) : []));
  if (warnings.length) {
    const byKind = new Map<string, number>();
    for (const w of warnings) byKind.set(w.kind, (byKind.get(w.kind) ?? 0) + 1);
    out.push('', `Warnings (${warnings.length}), by kind: ${[...byKind].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    if (options.verbose) out.push(...warnings.map((w) => `  ${w.file}:${w.line}: ${w.message}`));
    else out.push('  (--verbose lists each with its file and line)');
  }
  return out;
}
