// The builds `newsdesk serve` and `newsdesk studio` leave to `newsdesk build` itself, in a
// process of its own, which shows its progress and summary as it does run alone: the first
// one, before they start, when the output folder has no site yet; one while they start
// when the site was built with other templates (after an update, every issue renders
// again); and, while they run, a rebuild that renders most issues (a change to the site's
// settings renders every one: server/server.ts handOffRebuild). A build that renders every issue left the server's own process holding far more
// than it needs to serve: over ten publishes on 1,000 issues, a server that had built the
// site itself settled near 510 MB and peaked at 531-563 MB, against 307-405 MB (peak
// 422 MB) for one started on a site already built. Its next rebuild reads what it needs
// from the build cache, as a new process does.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { lastTemplateVersion } from '../build/cache-folder.ts';
import { templateVersion } from '../build/template-version.ts';
import { NewsdeskError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { ServerOptions } from '../server/server.ts';
import type { CommandContext } from './cli.ts';

/** The `newsdesk` executable (bin/newsdesk.js), which runs the compiled CLI or, failing that, the sources. */
const executable = path.join(import.meta.dirname, '..', 'bin', 'newsdesk.js');

/**
 * Runs `newsdesk build` with this command's environment and folder, and waits for it. A
 * stop (ctx.signal) stops it too, and returns once it has stopped (it says so itself): the
 * caller then checks ctx.signal. `background`: while the server runs, its lines are passed
 * on as lines (no progress bar among the server's).
 */
export async function buildInItsOwnProcess(ctx: CommandContext, options: { background?: boolean } = {}): Promise<void> {
  if (ctx.signal.aborted) return;
  // In a process group of its own, so that a Ctrl+C reaches it once, from here, not also
  // from the terminal: a second signal would stop it at once instead of when it has left
  // the output as it was. Not on Windows, where a detached process gets a console window
  // of its own.
  const output = options.background ? 'pipe' : 'inherit';
  const child = spawn(process.execPath, [executable, 'build'], { cwd: ctx.cwd, env: ctx.env, stdio: ['ignore', output, output], detached: process.platform !== 'win32' });
  if (child.stdout) passLines(child.stdout, ctx.out);
  if (child.stderr) passLines(child.stderr, ctx.err);
  // SIGTERM: the build stops taking new work, leaves the output as it was, and exits.
  const stop = () => child.kill('SIGTERM');
  ctx.signal.addEventListener('abort', stop, { once: true });
  let ended: { code: number | null; signal: NodeJS.Signals | null };
  try {
    ended = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  } catch (error) {
    throw new NewsdeskError('BUILD_FAILED', `Could not start \`newsdesk build\`: ${(error as Error).message}`, {
      hint: 'Run `newsdesk build` yourself, then start again.',
      cause: error,
    });
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
  if (ended.code === 0 || ctx.signal.aborted) return;
  const how = ended.code === null ? `was stopped by ${ended.signal}` : `exited with code ${ended.code}`;
  throw options.background
    ? new NewsdeskError('BUILD_FAILED', `Building the site again in a process of its own failed: \`newsdesk build\` ${how} (its message is above); the site stays as it was`, {
        hint: 'Fix what it names; the next publish builds the site again.',
      })
    : new NewsdeskError('BUILD_FAILED', `Building the site first failed: \`newsdesk build\` ${how} (its message is above)`, {
        hint: 'Fix what it names and start again, or start with --no-build to serve without a site.',
      });
}

/** Each line of `stream` to `write`, as it comes. */
function passLines(stream: NodeJS.ReadableStream, write: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) write(line);
  });
  stream.on('end', () => {
    if (rest) write(rest);
  });
}

/**
 * What `serve` and `studio` do about the site before they start: build it first when the
 * output folder has none (`stopped` when a stop came meanwhile), or start building it
 * again while they start when it was built with other templates (`rebuilding`: that build,
 * for the server's rebuilds to wait for: server/rebuild.ts RebuildOptions.after).
 */
export async function buildSiteToServe(ctx: CommandContext, config: Pick<Config, 'outDir' | 'dataDir'>): Promise<{ stopped: boolean; rebuilding?: Promise<void> }> {
  const rel = path.relative(ctx.cwd, config.outDir) || config.outDir;
  if (!existsSync(path.join(config.outDir, 'index.html'))) {
    ctx.out(`${rel}/ has no site yet; building it first…`);
    await buildInItsOwnProcess(ctx);
    return { stopped: ctx.signal.aborted };
  }
  if (!(await builtWithOtherTemplates(config.dataDir))) return { stopped: false };
  ctx.out(`${rel}/ was built with other templates (newsdesk was updated since); building it again, and serving it as it is meanwhile…`);
  const rebuilding = buildInItsOwnProcess(ctx, { background: true });
  // Reported by the server's rebuilds, which wait for it.
  rebuilding.catch(() => undefined);
  return { stopped: false, rebuilding };
}

/**
 * The server's options for the builds it leaves to `newsdesk build`: the one started as it
 * starts (`rebuilding`, from buildSiteToServe), which its rebuilds wait for, and a rebuild
 * that renders most issues (server/server.ts handOffRebuild).
 */
export function buildsInOwnProcesses(ctx: CommandContext, rebuilding: Promise<void> | undefined): Pick<ServerOptions, 'rebuildAfter' | 'buildElsewhere'> {
  return { ...(rebuilding ? { rebuildAfter: rebuilding } : {}), buildElsewhere: () => buildInItsOwnProcess(ctx, { background: true }) };
}

/**
 * Whether the site in the output folder was built with other templates than these
 * (newsdesk was updated since): every issue would render again, which a server should not
 * do in its own process (see above). False when no build left its template version.
 */
async function builtWithOtherTemplates(dataDir: string): Promise<boolean> {
  const [last, now] = await Promise.all([lastTemplateVersion(dataDir), templateVersion()]);
  return last !== undefined && last !== now;
}
