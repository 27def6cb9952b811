#!/usr/bin/env node
// The `newsdesk` executable: refuse an unsupported Node before anything else loads,
// then run the CLI compiled from TypeScript into cli-dist/ (bin/compile.js), compiling
// it first when it is missing or older than a source file; through tsx from the sources
// only when it cannot be compiled (a read-only install, say).
import module from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `newsdesk needs Node 22.12 or newer, but this is Node ${process.versions.node}: run it through npm (npm run newsdesk -- <command>), which uses the Node 22 from node_modules/.bin.`,
  );
  process.exit(1);
}
// V8 optimises a function with TurboFan once it has run about 3,000 times. A full build runs
// the render code in three isolates (this thread and two render workers), and each compiles it
// on its own: about 2,400 TurboFan compiles, 3-4 s of CPU on V8's helper threads, some
// functions optimised again and again as their types settle. At 10,000 calls a full build
// of 1,000 issues took 1.4-3.3 s less CPU on those threads and no more elsewhere (eight
// alternating pairs: 28.1 s against 30.0 s in all); a long-running server or send still
// optimises its hot code within its first seconds. Set before any code runs, so the
// compile cache and every worker thread see the same setting.
v8.setFlagsFromString('--invocation-count-for-turbofan=10000');
// `newsdesk issues | head` closes the pipe early; that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}
// node:sqlite works fine on Node 22 but announces itself as experimental on every run;
// that line is noise to someone sending a newsletter.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String(warning?.message ?? warning).includes('SQLite is an experimental feature')) return;
  return emitWarning.call(process, warning, ...rest);
};
const { compile, findCurrentBuild } = await import('./compile.js');
let entry = findCurrentBuild();
if (!entry) {
  try {
    entry = await compile();
  } catch (error) {
    const where = (e) => (e.location ? `${e.location.file}:${e.location.line}: ` : '');
    const reason = error?.errors?.length ? error.errors.map((e) => `${where(e)}${e.text}`).join('; ') : (error?.message ?? String(error));
    process.stderr.write(`newsdesk: could not compile the CLI (${reason}); running it from the TypeScript sources instead, which starts slower.\n`);
  }
}
let main;
if (entry) {
  // V8's compiled code for the modules, kept with the build it belongs to (and removed
  // with it): later runs skip parsing and compiling them.
  module.enableCompileCache?.(path.join(path.dirname(entry), '.compile-cache'));
  ({ main } = await import(pathToFileURL(entry).href));
} else {
  // tsx would otherwise look for a tsconfig in the working directory, and newsdesk may be
  // run from anywhere (the JSX settings must be ours). Workers inherit the variable.
  process.env.TSX_TSCONFIG_PATH ??= new URL('../tsconfig.json', import.meta.url).pathname;
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../scripts/index.ts'));
}
process.exitCode = await main(process.argv.slice(2));
