// When V8 optimises a function with TurboFan: after 10,000 calls instead of its default
// 3,000. A full build runs the render code in three isolates (the main thread and two render
// workers), and each compiles it on its own: about 2,400 TurboFan compiles for 1,000
// issues, 3-4 s of CPU on V8's helper threads, some functions optimised again and again
// while their types settle. At 10,000 calls the same build made 710, and the helper threads
// used 1.0-3.3 s less CPU in each of twelve alternating pairs, the other threads no more on
// average (28.1 s against 30.0 s in all, over eight of the pairs); a one-issue rebuild took
// as long as before, and a server or a send still optimises its hot code within its first
// seconds. The setting is the process's: made before any other code runs, every worker
// thread and the compile cache see the same one.
import v8 from 'node:v8';

export function optimiseLater() {
  v8.setFlagsFromString('--invocation-count-for-turbofan=10000');
}
