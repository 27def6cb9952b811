// A platform export as it arrives: a .zip (read with adm-zip) or the folder it unpacks
// to. Either way the migrations see file names relative to the export's root.
import fs from 'node:fs/promises';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { parse } from 'csv-parse/sync';
import { NewsdeskError } from '../../core/errors.ts';

export interface ExportFiles {
  /** Relative paths with "/" separators. */
  names: string[];
  read(name: string): Buffer | undefined;
  /** For messages. */
  label: string;
}

export async function openExport(location: string, label: string): Promise<ExportFiles> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) throw new NewsdeskError('IMPORT_FAILED', `${label}: no such file or folder`, { hint: 'Give the export as downloaded (.zip) or the folder it unpacks to.' });
  if (stat.isDirectory()) {
    const names: string[] = [];
    for (const entry of await fs.readdir(location, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) names.push(path.relative(location, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
    }
    const contents = new Map(await Promise.all(names.map(async (n) => [n, await fs.readFile(path.join(location, n))] as const)));
    return { names: names.sort(), read: (n) => contents.get(n), label };
  }
  let zip: AdmZip;
  try {
    zip = new AdmZip(location);
  } catch (error) {
    throw new NewsdeskError('IMPORT_FAILED', `${label}: not a zip file or folder (${(error as Error).message})`, { hint: 'Give the export as downloaded (.zip), a .json export (Ghost), or the folder it unpacks to.', cause: error });
  }
  const entries = new Map(zip.getEntries().filter((e) => !e.isDirectory).map((e) => [e.entryName.replace(/^\.\//, ''), e] as const));
  return { names: [...entries.keys()].sort(), read: (n) => entries.get(n)?.getData(), label };
}

/** The one file matching `test`, or an error naming what the export should hold. */
export function findFile(files: ExportFiles, test: (name: string) => boolean, what: string): string {
  const found = files.names.find((n) => test(n.split('/').pop()!));
  if (!found) throw new NewsdeskError('IMPORT_FAILED', `${files.label}: ${what} is missing from the export`, { hint: `The export holds: ${files.names.slice(0, 8).join(', ')}${files.names.length > 8 ? ', …' : ''}.` });
  return found;
}

/** A CSV file of the export as records keyed by lower-cased header, each with its line. */
export function readCsv(files: ExportFiles, name: string): Array<{ record: Record<string, string>; line: number }> {
  const text = files.read(name)?.toString('utf8') ?? '';
  try {
    const rows = parse(text, { bom: true, columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, relax_column_count: true, info: true }) as Array<{ record: Record<string, string>; info: { lines: number } }>;
    return rows.map((r) => ({ record: r.record, line: r.info.lines }));
  } catch (error) {
    throw new NewsdeskError('IMPORT_FAILED', `${files.label}/${name} is not readable CSV: ${(error as Error).message}`, { hint: 'Download the export again; the file looks damaged.', cause: error });
  }
}
