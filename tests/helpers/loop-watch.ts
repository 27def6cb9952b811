// Watches this process's event loop for the longest stretch it was held: in wall time,
// and in this thread's CPU time, which a loaded machine's scheduling does not stretch
// (on a shared 2-core machine a thread can wait 100 ms+ for a core while holding nothing).
export interface LoopWatch {
  stop(): { maxWallMs: number; maxCpuMs: number };
}

const threadCpuMs = (): number => {
  const usage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage?.() ?? process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

export function watchEventLoop(): LoopWatch {
  let maxWallMs = 0;
  let maxCpuMs = 0;
  let lastWall = performance.now();
  let lastCpu = threadCpuMs();
  const tick = () => {
    const wall = performance.now();
    const cpu = threadCpuMs();
    maxWallMs = Math.max(maxWallMs, wall - lastWall);
    maxCpuMs = Math.max(maxCpuMs, cpu - lastCpu);
    lastWall = wall;
    lastCpu = cpu;
  };
  const timer = setInterval(tick, 2);
  return {
    stop() {
      tick();
      clearInterval(timer);
      return { maxWallMs, maxCpuMs };
    },
  };
}
