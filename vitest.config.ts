import { defineConfig } from 'vitest/config';

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
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker per core but one; many of our files mostly wait on a
    // child process, a browser or a socket, so two at a time on the 2-core CI machine
    // finish the suite far sooner without starving either.
    maxWorkers: 2,
  },
});
