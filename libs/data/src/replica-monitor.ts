import { Logger } from '@nestjs/common';
import { gauge } from '@saas/observability';
import type { DatabaseNode } from './node';
import { parseLsn } from './lsn';

export interface ReplicaState {
  name: string;
  reachable: boolean;
  inRecovery: boolean;
  replayPaused: boolean;
  lagBytes: number | null;
  usable: boolean;
  reason?: string;
  checkedAt: string;
}

/**
 * Polls every replica for its replay position and compares it with the primary's WAL position.
 * A replica that is unreachable, not in recovery, or further behind than the bound is not used for
 * reads. With the primary down, reachable replicas stay usable: reads keep working (the CAP choice).
 */
export class ReplicaMonitor {
  private readonly states = new Map<string, ReplicaState>();
  /**
   * The last replay position seen on each replica. Replay only moves forward on a server, so a replica
   * known to have replayed X satisfies every consistency token <= X without asking again. Each monitor
   * check sets it (so a replaced server is re-learned within one interval); reads may only raise it.
   */
  private readonly knownReplay = new Map<string, bigint>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private firstCheck?: Promise<void>;
  private readonly logger = new Logger('ReplicaMonitor');
  private readonly lagGauge = gauge('db_replica_lag_bytes', 'Bytes of WAL the replica has not replayed yet', ['replica']);
  private readonly usableGauge = gauge('db_replica_usable', '1 when the replica serves reads, 0 when skipped', ['replica']);

  constructor(
    private readonly primary: DatabaseNode,
    private readonly replicas: DatabaseNode[],
    private readonly maxLagBytes: number,
  ) {}

  start(intervalMs: number): void {
    this.stopped = false;
    const tick = async () => {
      await this.refresh();
      if (this.stopped) return;
      this.timer = setTimeout(() => void tick(), intervalMs);
      this.timer.unref();
    };
    this.firstCheck = tick();
  }

  /** Resolves once every replica has been checked at least once since start(). */
  async checked(): Promise<void> {
    await this.firstCheck;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  usable(): DatabaseNode[] {
    return this.replicas.filter((replica) => this.states.get(replica.name)?.usable);
  }

  snapshot(): ReplicaState[] {
    return this.replicas.map((replica) => this.states.get(replica.name) ?? this.unknown(replica.name));
  }

  /** True when `replica` is known to have replayed at least `lsn` (no round trip needed). */
  replayedAtLeast(replica: DatabaseNode, lsn: bigint): boolean {
    const known = this.knownReplay.get(replica.name);
    return known !== undefined && known >= lsn;
  }

  /** A read asked the replica for its replay position: keep it if it is newer than what we knew. */
  noteReplay(replica: DatabaseNode, lsn: bigint): void {
    const known = this.knownReplay.get(replica.name);
    if (known === undefined || lsn > known) this.knownReplay.set(replica.name, lsn);
  }

  /** A read found the replica broken: stop using it until the next successful check. */
  markBroken(replica: DatabaseNode, reason: string): void {
    this.knownReplay.delete(replica.name);
    const state = this.states.get(replica.name) ?? this.unknown(replica.name);
    this.record({ ...state, reachable: false, usable: false, reason, checkedAt: new Date().toISOString() });
  }

  async refresh(): Promise<void> {
    const primaryLsn = await this.primary
      .probe<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')
      .then((rows) => parseLsn(rows[0]?.lsn))
      .catch(() => undefined);
    await Promise.all(this.replicas.map((replica) => this.check(replica, primaryLsn)));
  }

  private async check(replica: DatabaseNode, primaryLsn: bigint | undefined): Promise<void> {
    const checkedAt = new Date().toISOString();
    try {
      const [row] = await replica.probe<{ recovery: boolean; replay: string | null; paused: boolean }>(
        `select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as replay,
                case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end as paused`,
      );
      const replay = parseLsn(row?.replay);
      if (replay !== undefined) this.knownReplay.set(replica.name, replay);
      else this.knownReplay.delete(replica.name);
      const lag = primaryLsn !== undefined && replay !== undefined ? primaryLsn - replay : undefined;
      const lagBytes = lag === undefined ? null : Number(lag > 0n ? lag : 0n);
      let reason: string | undefined;
      if (!row?.recovery) reason = 'not in recovery (promoted?)';
      else if (lagBytes !== null && lagBytes > this.maxLagBytes) reason = `lag ${lagBytes} B exceeds ${this.maxLagBytes} B`;
      this.record({
        name: replica.name,
        reachable: true,
        inRecovery: Boolean(row?.recovery),
        replayPaused: Boolean(row?.paused),
        lagBytes,
        usable: reason === undefined,
        reason,
        checkedAt,
      });
    } catch (error) {
      this.knownReplay.delete(replica.name);
      this.record({ ...this.unknown(replica.name), reason: (error as Error).message, checkedAt });
    }
  }

  private record(state: ReplicaState): void {
    const before = this.states.get(state.name);
    if (before && before.usable !== state.usable) {
      const verb = state.usable ? 'back in rotation' : `skipped: ${state.reason}`;
      this.logger.warn(`replica ${state.name} ${verb}`);
    }
    this.states.set(state.name, state);
    this.usableGauge.set({ replica: state.name }, state.usable ? 1 : 0);
    if (state.lagBytes !== null) this.lagGauge.set({ replica: state.name }, state.lagBytes);
  }

  private unknown(name: string): ReplicaState {
    return {
      name,
      reachable: false,
      inRecovery: false,
      replayPaused: false,
      lagBytes: null,
      usable: false,
      reason: 'not checked yet',
      checkedAt: new Date().toISOString(),
    };
  }
}
