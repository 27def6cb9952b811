#!/usr/bin/env node
// The `newsdesk` executable: refuse an unsupported Node before anything else loads,
// then run the CLI compiled from TypeScript into cli-dist/ (bin/compile.js), compiling
// it first when it is missing or older than a source file; through tsx from the sources
// only when it cannot be compiled (a read-only install, say).
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { optimiseLater } from './v8-tiering.js';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  console.error(
    `newsdesk needs Node 22.12 or newer, but this is Node ${process.versions.node}: run it through npm (npm run newsdesk -- <command>), which uses the Node 22 from node_modules/.bin.`,
  );
  process.exit(1);
}
// TurboFan later than V8's default: a full build's three isolates compile far less (v8-tiering.js).
optimiseLater();
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
// A build's process ends holding a heap of up to a few hundred MB, which a natural exit has
// V8 free piece by piece: 35-40 ms of a 1,000-issue full build's exit, ~15 ms of a
// publish's. Once nothing is left to run (the event loop is empty, so every write and
// child process the build started is done), it exits without that. Only after `build`, which
// closes all it opens: a SQLite database some other command left open is checkpointed and
// closed by a natural exit alone.
if (process.argv[2] === 'build') {
  process.once('beforeExit', () => {
    if (process.listenerCount('beforeExit') === 0) process.exit();
  });
}
