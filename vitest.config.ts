import { defineConfig } from 'vitest/config';
import { hangAfter, hangMs } from './tests/helpers/hang.ts';

// The suite runs on the Node 22 that npm scripts put first on PATH; say so plainly
// instead of failing later on a missing node:sqlite or type stripping.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  throw new Error(`newsdesk tests need Node 22.12+, got ${process.versions.node}: run them with \`npm test\`.`);
}

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**', 'studio-dist/**', '.newsdesk/**'],
    // One PostgreSQL server per run, started when a test first asks for a database.
    globalSetup: ['tests/helpers/postgres-global.ts'],
    // Hang catchers only (tests wait for events, never for time): a loaded 2-core machine
    // running the suite twice can stretch a build or a child process several-fold.
    testTimeout: hangAfter(2),
    hookTimeout: hangAfter(2),
    // expect.poll waits for what a page or a server shows; its default second is a race.
    expect: { poll: { timeout: hangMs } },
    pool: 'forks',
    // Vitest's default is one worker per core but one; many of our files mostly wait on a
    // child process, a browser or a socket, so three at a time on the 2-core CI machine
    // finish the suite sooner (measured: 478 s with two, 404 s with three, twice, the files'
    // own waits no more flaky, as they wait for events, not for time).
    maxWorkers: 3,
  },
});
