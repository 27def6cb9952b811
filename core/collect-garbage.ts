// A full garbage collection on demand, for the one point where a long build knows most of
// what it made so far is dead. On a machine with plenty of memory V8 lets the heap grow to
// about three times what was live at its last full collection before it collects again: a
// full build's main thread collected once, 3 s in (212 MB live), and then grew to 460 MB by
// the end of its render (253 MB live: the rest was garbage promoted while the workers
// rendered) and carried that into the pages step. One collection there costs 0.3-0.5 s of
// CPU; the build's peak RSS went from 756-761 MB to 674-684 MB.
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | undefined;

/** Collects garbage now, all of it (blocking, a few hundred ms on a heap of a few hundred MB). */
export function collectGarbage(): void {
  if (!collect) {
    // V8's gc() exists in contexts made once the flag is set; this one is made only for it.
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

/**
 * From now on, V8 collects once the heap has grown by `percent` over what was live after
 * its last full collection, not by its own factor (which let a full build's main thread
 * grow to about twice what it kept). For a command that keeps a large set alive while it
 * makes much short-lived garbage: its peak then follows what it keeps, for more (shorter)
 * collections. The setting is the process's, for every thread started after it.
 */
export function collectSooner(percent: number): void {
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
