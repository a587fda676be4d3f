/**
 * PLATFORM_CPU_LIMIT: each local replica in a cgroup with a CFS quota, like a pod's CPU limit. Real
 * cgroups (the machine's cpu controller), real processes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const { cpuLimitOf, limitCpu, parseCpuLimit, releaseCpu } = require('../cpu-quota.cjs');

/** CPU seconds a process has used (utime + stime from /proc). */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};

describe('CPU quota for local replicas', () => {
  it('parses CPU quantities and rejects bad ones with a clear message', () => {
    expect([parseCpuLimit('250m'), parseCpuLimit('0.5'), parseCpuLimit('2')]).toEqual([250, 500, 2000]);
    for (const bad of ['lots', '5m', '0', '-1', '', '1.5.2']) expect(() => parseCpuLimit(bad)).toThrow(/PLATFORM_CPU_LIMIT must be a CPU quantity like 250m/);
  });

  it('caps a busy process at its quota (a spinning loop gets ~0.1 s of CPU per second under 100m)', async () => {
    const busy = spawn(process.execPath, ['-e', 'for(;;){}']);
    const name = `test-${busy.pid}`;
    try {
      const dir = limitCpu(busy.pid, name, 100);
      expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toContain(String(busy.pid));
      expect(cpuLimitOf(name)).toBe(100);
      const before = cpuSeconds(busy.pid!);
      await new Promise((r) => setTimeout(r, 2000));
      const used = cpuSeconds(busy.pid!) - before;
      // Unlimited it would take close to 2 s (a core); the quota allows 0.2 s.
      expect(used).toBeLessThan(0.5);
    } finally {
      busy.kill('SIGKILL');
      await new Promise((r) => busy.once('exit', r));
      releaseCpu(name);
    }
    expect(cpuLimitOf(name)).toBeUndefined();
  });

  it('refuses a name that is not a plain cgroup name (bad input)', () => {
    expect(() => limitCpu(process.pid, '../escape', 100)).toThrow(/invalid cgroup name/);
  });
});
