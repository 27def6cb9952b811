// Compiles the CLI's TypeScript once into cli-dist/ (esbuild, code-split ES modules, npm
// packages left as imports but for a few small ones nearly every command loads, and React
// taken with require()), and tells bin/newsdesk.js whether that output is still
// current so an edited source is never run stale. Plain JavaScript on purpose: it runs
// before anything can load TypeScript. `node bin/compile.js` compiles unconditionally
// (the package's prepare script and `npm run build` call it).
//
// Each compile writes a new folder cli-dist/<build>/ and then swaps cli-dist/current.json
// to point at it in one rename, so two processes compiling at once never mix files, and a
// running process whose chunks load later (commands import their heavy parts lazily)
// keeps finding them: the last few builds stay on disk.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const outputDir = path.join(projectRoot, 'cli-dist');
const pointerPath = path.join(outputDir, 'current.json');

/** The CLI entry; it becomes index.js. */
const cliEntry = 'scripts/index.ts';

/**
 * Modules the compiled code loads by path at run time rather than by import (worker
 * threads): each becomes its own output file, and `new URL('<source>', import.meta.url)`
 * pointing at it is rewritten to point at that file. A compile that meets one not listed
 * here compiles again with it added, so a new worker needs no change here.
 */
const knownPathLoaded = ['build/worker.ts'];

/**
 * npm packages compiled in rather than imported: nearly every command loads them, and
 * zod alone is some ninety small files, which take longer to find and load one by one
 * than as part of one chunk (`issues` uses about a third less CPU with these and the
 * compile cache). Their own dependencies come with them. The renderers' small packages
 * too (the feeds' XML writer, Portable Text to HTML, line breaking, colours): as imports,
 * a one-issue rebuild spent 35 ms finding, reading and compiling them, 14 ms in the chunks.
 * Not React: the transactional emails' packages import it too, and two copies of React in
 * one process break its hooks. @portabletext/react is compiled in so that the React it
 * imports is the one the compiled code requires (requiredPackages).
 */
const bundledPackages = ['zod', 'groq-js', 'luxon', 'feed', '@portabletext/to-html', '@portabletext/toolkit', '@portabletext/react', 'css-line-break', 'color2k', 'picocolors'];

/**
 * CommonJS packages the compiled code takes through require() rather than import: an ES
 * module importing one has Node read its source (and every file it re-exports, React's
 * development build too) to find its exports, and on a publish that reading grew hot enough
 * for V8 to compile the reader twice with TurboFan, 0.1 s of CPU in each thread that
 * loads React. Required, a publish took 1.63 s against 1.69 s, 1.95 s of CPU against 2.08
 * (seven alternating pairs). React stays one copy: every import of it, @portabletext/react's
 * too, becomes the same require, and a package that imports React itself gets that module.
 */
const requiredPackages = ['react', 'react/jsx-runtime', 'react/compiler-runtime', 'react-dom', 'react-dom/server'];

/**
 * Put at the top of every output file: CommonJS code compiled in (xml-js, under feed) calls
 * require() for Node's own modules, which an ES module has only when it makes one.
 */
const requireBanner = "import { createRequire as __newsdeskCreateRequire } from 'node:module';\nconst require = __newsdeskCreateRequire(import.meta.url);";

/** Files that shape the output without being imported by it. */
const configInputs = ['tsconfig.json', 'bin/compile.js'];

/** Builds kept besides the current one, for processes still running from them. */
const keptBuilds = 2;

/**
 * Where the compiled CLI entry is, when the last compile is newer than every file it was
 * made from; undefined when there is none or a source changed since (a few ms: one
 * small JSON file and a stat per source file).
 */
export function findCurrentBuild() {
  let pointer;
  try {
    pointer = JSON.parse(fs.readFileSync(pointerPath, 'utf8'));
  } catch {
    return undefined;
  }
  // Some filesystems keep mtimes to the second: a file saved in the same second as the
  // compile started could be newer than what was read, so that second counts as stale.
  const since = pointer.startedAt - 1000;
  for (const input of pointer.inputs) {
    let stat;
    try {
      stat = fs.statSync(path.join(projectRoot, input));
    } catch {
      return undefined;
    }
    if (stat.mtimeMs >= since) return undefined;
  }
  const entry = path.join(outputDir, pointer.build, 'index.js');
  return fs.existsSync(entry) ? entry : undefined;
}

/** Compiles the CLI and makes it current; returns the path of the compiled entry. */
export async function compile() {
  const startedAt = Date.now();
  const build = `b${startedAt.toString(36)}-${process.pid}`;
  const buildDir = path.join(outputDir, build);
  const esbuild = await import('esbuild');
  const pathLoaded = new Set(knownPathLoaded);
  let result;
  for (;;) {
    const entries = new Map([[path.join(projectRoot, cliEntry), 'index'], ...[...pathLoaded].map((source) => [path.join(projectRoot, source), entryName(source)])]);
    const found = new Set();
    result = await esbuild.build({
      absWorkingDir: projectRoot,
      entryPoints: Object.fromEntries([...entries].map(([source, name]) => [name, source])),
      outdir: buildDir,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      jsx: 'automatic',
      // With --enable-source-maps, stack traces name the TypeScript files a developer edits.
      sourcemap: 'linked',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      banner: { js: requireBanner },
      plugins: [keepSourceLocations(buildDir, entries, found), requirePackages(), keepPackagesExternal(), zodInEnglishOnly()],
    });
    if (found.size === 0) break;
    for (const source of found) pathLoaded.add(source);
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
  // The required packages' manifests too: the names each of their modules exports are written into the output.
  const required = [...new Set(requiredPackages.map((name) => `node_modules/${name.split('/')[0]}/package.json`))];
  const inputs = [...new Set([...Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')).map(ownManifest), ...required, ...configInputs])];
  fs.writeFileSync(path.join(buildDir, 'package.json'), '{"type":"module"}\n');
  const next = `${pointerPath}.${build}`;
  fs.writeFileSync(next, `${JSON.stringify({ build, startedAt, inputs }, null, 1)}\n`);
  fs.renameSync(next, pointerPath);
  removeOldBuilds(build);
  return path.join(buildDir, 'index.js');
}

/** build/worker.ts → build-worker: every output file sits in one folder. */
function entryName(source) {
  return source.replace(/\.[cm]?[jt]sx?$/, '').split(/[\\/]/).join('-');
}

/**
 * Sources find files next to them through import.meta (the sample dataset, the Studio
 * folder, package.json); bundled, import.meta would name the output chunk instead. This
 * rewrites import.meta.url/dirname/filename in each project source to its own location,
 * relative to the output folder (so the project can move), and points
 * `new URL('./x.ts', import.meta.url)` at the compiled entry made from x.ts.
 */
function keepSourceLocations(buildDir, entries, found) {
  return {
    name: 'newsdesk-source-locations',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        const source = fs.readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta')) return undefined;
        // A path-loaded module points at the compiled file next to the chunk, so its
        // import.meta.url must survive the rewrite below: it is parked in a placeholder.
        let contents = source.replace(/new URL\(\s*(['"])([^'"]+\.[cm]?[jt]sx?)\1\s*,\s*import\.meta\.url\s*\)/g, (whole, _quote, target) => {
          const targetPath = path.resolve(path.dirname(args.path), target);
          const compiled = entries.get(targetPath);
          if (compiled) return `new URL(${JSON.stringify(`./${compiled}.js`)}, __newsdeskChunkUrl)`;
          // Not an entry yet: this build is thrown away and done again with it as one.
          found.add(path.relative(projectRoot, targetPath));
          return whole;
        });
        const relative = (to) => path.relative(buildDir, to).split(path.sep).map(encodeURIComponent).join('/');
        const ownUrl = `new URL(${JSON.stringify(relative(args.path))}, import.meta.url)`;
        contents = contents
          .replace(/\bimport\.meta\.url\b/g, `${ownUrl}.href`)
          .replace(/\bimport\.meta\.filename\b/g, `__newsdeskFileURLToPath(${ownUrl})`)
          .replace(/\bimport\.meta\.dirname\b/g, `__newsdeskPathDirname(__newsdeskFileURLToPath(${ownUrl}))`)
          .replaceAll('__newsdeskChunkUrl', 'import.meta.url');
        if (contents.includes('__newsdesk')) {
          contents = `import { fileURLToPath as __newsdeskFileURLToPath } from 'node:url';\nimport { dirname as __newsdeskPathDirname } from 'node:path';\n${contents}`;
        }
        const loader = /\.[cm]?tsx$/.test(args.path) ? 'tsx' : /\.[cm]?ts$/.test(args.path) ? 'ts' : /x$/.test(args.path) ? 'jsx' : 'js';
        return { contents, loader };
      });
    },
  };
}

/**
 * requiredPackages as modules that require() them (with the banner's require) and export
 * what they export. The names are read in a child process, as production code sees them:
 * required here, the development build of React would stay in this process, which goes on
 * to run the CLI when `newsdesk` compiles it first.
 */
function requirePackages() {
  const required = new Set(requiredPackages);
  let names;
  const namesOf = (name) => {
    names ??= JSON.parse(
      execFileSync(process.execPath, ['-e', `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(requiredPackages)}.map((p) => [p, Object.keys(require(p))]))))`], {
        cwd: projectRoot,
        env: { ...process.env, NODE_ENV: 'production' },
        encoding: 'utf8',
      }),
    );
    return names[name].filter((key) => /^[A-Za-z_$][\w$]*$/.test(key) && key !== 'default');
  };
  return {
    name: 'newsdesk-required-packages',
    setup(build) {
      build.onResolve({ filter: /^react/ }, (args) => {
        if (!required.has(args.path)) return undefined;
        // The module below requires the package itself at run time: left to Node.
        if (args.namespace === 'newsdesk-required') return { path: args.path, external: true };
        return { path: args.path, namespace: 'newsdesk-required' };
      });
      build.onLoad({ filter: /.*/, namespace: 'newsdesk-required' }, (args) => ({
        contents: `const m = require(${JSON.stringify(args.path)});\nexport default m;\nexport const { ${namesOf(args.path).join(', ')} } = m;\n`,
        loader: 'js',
      }));
    },
  };
}

/** npm packages stay imports, resolved at run time, except bundledPackages (and what they import). */
function keepPackagesExternal() {
  const bundled = new RegExp(`^(${bundledPackages.join('|')})(/|$)`);
  return {
    name: 'newsdesk-packages-external',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, (args) => {
        if (bundled.test(args.path) || args.importer.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * zod's namespace names every language its messages come in, each a module of its own:
 * half the 0.75 MB chunk zod is compiled into, and in scripts beyond Latin-1, which made
 * V8 read the whole chunk as two-byte text. newsdesk writes its messages itself and keeps
 * zod's default, English: the other languages are left out (`z.locales` holds `en` alone).
 */
function zodInEnglishOnly() {
  return {
    name: 'newsdesk-zod-english',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
        return { path: path.join(path.dirname(args.importer), '../locales/en.js'), namespace: 'newsdesk-zod-english' };
      });
      build.onLoad({ filter: /.*/, namespace: 'newsdesk-zod-english' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};`,
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

/**
 * A compiled-in package's files are stood for by its package.json, which an install of
 * another version rewrites: one stat per package instead of one per file.
 */
function ownManifest(input) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return match ? `${match[1]}/package.json` : input;
}

function removeOldBuilds(current) {
  const builds = fs
    .readdirSync(outputDir)
    .filter((name) => name !== current && /^b[0-9a-z]+-\d+$/.test(name))
    .sort((a, b) => parseInt(b.slice(1), 36) - parseInt(a.slice(1), 36));
  for (const old of builds.slice(keptBuilds)) fs.rmSync(path.join(outputDir, old), { recursive: true, force: true });
  for (const name of fs.readdirSync(outputDir)) {
    // A pointer left by a compile that died between writing it and renaming it.
    const file = path.join(outputDir, name);
    if (name.startsWith('current.json.') && Date.now() - fs.statSync(file).mtimeMs > 60_000) fs.rmSync(file, { force: true });
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const began = performance.now();
  const entry = await compile();
  console.log(`newsdesk: compiled the CLI into ${path.relative(projectRoot, path.dirname(entry))}/ in ${Math.round(performance.now() - began)} ms`);
}
