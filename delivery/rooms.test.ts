// The rooms of delivery/ keep to their plan: no module imports itself back through
// others, the rooms import each other one way only (a consumer owns the interface it
// needs, and whatever implements it imports it from there), and only the composition
// root (open-delivery.ts) reaches into sqlite/, the stores behind those interfaces.
// The import graph is read from the sources with a regex over relative specifiers.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const deliveryDir = import.meta.dirname;
const compositionRoot = 'open-delivery.ts';
const storeRooms = ['sqlite', 'postgres'];

/** Every .ts file under delivery/, as a path relative to it ("sending/send-loop.ts"). */
function listModules(dir = deliveryDir): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listModules(full);
    return /\.tsx?$/.test(entry.name) ? [path.relative(deliveryDir, full)] : [];
  });
}

/** The delivery/ modules one module imports: static, type-only, side-effect and dynamic imports with a relative path. */
export function readImports(module: string, source: string): string[] {
  const out = new Set<string>();
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    const target = path.relative(deliveryDir, path.resolve(deliveryDir, path.dirname(module), match[1]!));
    if (!target.startsWith('..')) out.add(target);
  }
  return [...out];
}

/** The room a module lives in: its first folder under delivery/, or "." for the files at the top. */
export function roomOf(module: string): string {
  const parts = module.split(path.sep);
  return parts.length > 1 ? parts[0]! : '.';
}

/** Every cycle in a directed graph, each once, as the list of nodes along it (first node repeated at the end). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (node: string) => {
    seen.add(node);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!seen.has(next)) visit(next);
      else if (!done.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    }
    stack.pop();
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!seen.has(node)) visit(node);
  return cycles;
}

function readGraph(): Map<string, string[]> {
  return new Map(listModules().map((m) => [m, readImports(m, fs.readFileSync(path.join(deliveryDir, m), 'utf8'))]));
}

describe('the rooms of delivery/', () => {
  const graph = readGraph();

  it('reads the import graph it checks (a sanity check of the regex)', () => {
    expect(graph.get(path.join('sending', 'send-issue.ts'))).toContain(path.join('sending', 'send-loop.ts'));
    expect(graph.get(compositionRoot)).toContain(path.join('sqlite', 'db.ts'));
  });

  it('has no import cycle between modules', () => {
    expect(findCycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('imports between rooms one way only', () => {
    // Tests may reach across to build what they check; the modules themselves may not.
    const rooms = new Map<string, Set<string>>();
    for (const [module, imports] of graph) {
      if (/\.test\.tsx?$/.test(module)) continue;
      for (const target of imports) {
        const [from, to] = [roomOf(module), roomOf(target)];
        if (from !== to) rooms.set(from, (rooms.get(from) ?? new Set()).add(to));
      }
    }
    const roomGraph = new Map([...rooms].map(([room, targets]) => [room, [...targets].sort()]));
    const explain = (cycle: string[]) =>
      cycle
        .slice(1)
        .map((to, i) => {
          const from = cycle[i]!;
          const edge = [...graph].find(([m, imports]) => roomOf(m) === from && !/\.test\./.test(m) && imports.some((t) => roomOf(t) === to));
          return `${from}/ → ${to}/ (${edge?.[0]})`;
        })
        .join(', ');
    expect(findCycles(roomGraph).map(explain)).toEqual([]);
  });

  it('leaves the stores to the composition root: no room imports sqlite/ (or postgres/) but open-delivery.ts', () => {
    const reaching = [...graph].flatMap(([module, imports]) =>
      storeRooms.includes(roomOf(module)) || module === compositionRoot
        ? []
        : imports.filter((t) => storeRooms.includes(roomOf(t))).map((t) => `${module} imports ${t}`),
    );
    expect(reaching).toEqual([]);
  });
});

describe('findCycles', () => {
  it('names each cycle along its path and finds none in a chain', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]]))).toEqual([]);
    expect(findCycles(new Map([['a', ['b']], ['b', ['a']]]))).toEqual([['a', 'b', 'a']]);
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['d']]]))).toEqual([['a', 'b', 'c', 'a'], ['d', 'd']]);
  });

  it('reads static, type-only, side-effect and dynamic imports, and leaves packages and other folders out', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../sending/b.ts';",
      "import './c.ts';",
      "const d = await import('./d.ts');",
      "import fs from 'node:fs';",
      "import { e } from '../../core/e.ts';",
    ].join('\n');
    expect(readImports(path.join('schedule', 'x.ts'), source).sort()).toEqual([path.join('schedule', 'a.ts'), path.join('schedule', 'c.ts'), path.join('schedule', 'd.ts'), path.join('sending', 'b.ts')]);
  });
});
