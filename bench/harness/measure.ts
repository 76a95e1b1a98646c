import { readFileSync } from "node:fs";

/** What a measured child process reports about itself, on its last stdout line. */
export interface ProcessMetrics {
  /** Milliseconds from process start (before any module loaded) to the end of the measured work. */
  readonly wallMs: number;
  /** User + system CPU of this process, milliseconds. */
  readonly cpuMs: number;
  /** CPU of the child processes it waited for (Pulumi CLI, providers), milliseconds; 0 when none. */
  readonly childCpuMs: number;
  /** Peak resident set size of this process, MiB. */
  readonly peakRssMiB: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

/** CPU of waited-for children from /proc/self/stat (cutime + cstime), milliseconds. */
export function childCpuMs(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state is field 3; cutime and cstime are fields 16 and 17.
    const cutime = Number(fields[16 - 3]);
    const cstime = Number(fields[17 - 3]);
    return ((cutime + cstime) * 1000) / USER_HZ;
  } catch {
    return 0;
  }
}

/** Peak RSS in MiB: VmHWM from /proc/self/status, else Node's maxRSS. */
export function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** Metrics of this process so far; `performance.timeOrigin` is the process start. */
export function selfMetrics(): ProcessMetrics {
  const cpu = process.cpuUsage();
  return {
    wallMs: performance.now(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    childCpuMs: childCpuMs(),
    peakRssMiB: peakRssMiB(),
  };
}

/** Prefix of the line a child prints its JSON result on. */
export const RESULT_PREFIX = "BENCH-RESULT ";

export function emit(result: unknown): void {
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
