/**
 * Machine-wide busy CPU time from /proc/stat (Linux), to tell how much CPU
 * processes other than the benchmark's used during a measurement.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** Busy (non-idle, non-iowait) CPU time of all cores since boot, in ms; NaN when unavailable. */
export function systemBusyMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return ((user + nice + system + irq + softirq + steal) * 1000) / USER_HZ;
  } catch {
    return NaN;
  }
}
