// A CPU limit for a local replica, the way the kubelet enforces a pod's: a cgroup whose CFS quota allows
// `millicores` of CPU time per 100 ms period. On a small machine this is what makes a second replica add
// capacity instead of sharing the same cores (`PLATFORM_CPU_LIMIT=250m npm start`). cgroup v1's cpu
// controller (mounted at /sys/fs/cgroup/cpu) or v2's cpu.max; needs write access to it (root).
const { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const PERIOD_US = 100_000;
const V1 = '/sys/fs/cgroup/cpu';
const V2 = '/sys/fs/cgroup';
const GROUP = 'saas-starter-platform';

/** "250m" / "0.5" / "1" → millicores (10m to 64 cores); throws a clear message otherwise. */
function parseCpuLimit(text) {
  const match = /^(\d+(?:\.\d+)?)(m?)$/.exec(String(text ?? '').trim());
  const millicores = match ? Number(match[1]) * (match[2] ? 1 : 1000) : NaN;
  if (!Number.isFinite(millicores) || millicores < 10 || millicores > 64_000) {
    throw new Error(`PLATFORM_CPU_LIMIT must be a CPU quantity like 250m or 0.5 (10m to 64), got '${text}'`);
  }
  return Math.round(millicores);
}

const v2 = () => existsSync(join(V2, 'cgroup.controllers'));
const groupDir = (name) => join(v2() ? V2 : V1, GROUP, name);

/** Moves process `pid` into its own cgroup `name` capped at `millicores`; returns the cgroup's directory. */
function limitCpu(pid, name, millicores) {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`invalid cgroup name '${name}'`);
  const dir = groupDir(name);
  const quota = Math.round((millicores / 1000) * PERIOD_US);
  try {
    if (v2()) {
      mkdirSync(join(V2, GROUP), { recursive: true });
      writeFileSync(join(V2, GROUP, 'cgroup.subtree_control'), '+cpu');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`);
    } else {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (err) {
    throw new Error(`cannot put a CPU limit on ${name} (${err.code ?? err.message} on ${dir}): PLATFORM_CPU_LIMIT needs a writable cgroup cpu controller (run as root)`);
  }
  return dir;
}

/** The quota in force for `name` in millicores, or undefined when it has none. */
function cpuLimitOf(name) {
  const dir = groupDir(name);
  try {
    if (v2()) {
      const [quota, period] = readFileSync(join(dir, 'cpu.max'), 'utf8').trim().split(' ');
      return quota === 'max' ? undefined : Math.round((Number(quota) / Number(period)) * 1000);
    }
    const quota = Number(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8'));
    return quota < 0 ? undefined : Math.round((quota / Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8'))) * 1000);
  } catch {
    return undefined;
  }
}

/** Removes the (empty) cgroup of a replica that exited; a cgroup with processes left is kept. */
function releaseCpu(name) {
  try {
    rmdirSync(groupDir(name));
  } catch {
    // still has processes, or never existed
  }
}

module.exports = { parseCpuLimit, limitCpu, cpuLimitOf, releaseCpu };
