/**
 * Memory of the Chromium processes this Node process started (Linux /proc): each descendant's
 * resident set now (VmRSS) and its peak (VmHWM), which `resetPeaks` sets back to the current
 * value (writing 5 to /proc/<pid>/clear_refs, Linux ≥ 4.0). Only descendants are looked at: other
 * browsers on the same machine are not ours.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface ChromiumProcess {
  pid: number;
  /** browser, extension (the extension's renderer: its worker and pages), renderer, gpu-process, utility, zygote… */
  type: string;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The Chromium processes below `root` (default: this process). */
export function chromiumProcesses(root = process.pid): ChromiumProcess[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = read(`/proc/${name}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid …": comm may hold spaces or parentheses; ppid follows the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: ChromiumProcess[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      // Chromium's child processes rewrite their title: one string, arguments separated by spaces.
      const args = (read(`/proc/${child}/cmdline`) ?? '').split(/[\0 ]/);
      if (/chrom/i.test(args[0] ?? '')) {
        const type = args.find((a) => a.startsWith('--type='))?.slice(7) ?? 'browser';
        out.push({ pid: child, type: args.includes('--extension-process') ? 'extension' : type });
      }
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** VmRSS and VmHWM in MB, or null for a process that is gone. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | null {
  const status = read(`/proc/${pid}/status`);
  if (!status) return null;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  const peak = kb('VmHWM');
  // A process that is exiting (a zombie) has no memory lines.
  return Number.isFinite(rss) && Number.isFinite(peak) ? { rssMb: rss / 1024, peakMb: peak / 1024 } : null;
}

export function resetPeaks(processes: ChromiumProcess[]): void {
  for (const p of processes) {
    try {
      writeFileSync(`/proc/${p.pid}/clear_refs`, '5');
    } catch {
      // gone, or not ours to reset: its peak then includes earlier work (reported as such)
    }
  }
}

/**
 * Samples every `everyMs` the summed RSS of the Chromium processes (re-listing them, since
 * renderers come and go); `stop()` returns the highest sum seen.
 */
export function sampleTotalRss(everyMs = 20): { stop(): number } {
  let max = 0;
  let list = chromiumProcesses();
  let ticks = 0;
  const timer = setInterval(() => {
    if (++ticks % 10 === 0) list = chromiumProcesses();
    let sum = 0;
    for (const p of list) sum += memoryOf(p.pid)?.rssMb ?? 0;
    max = Math.max(max, sum);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}
