// The daemon's own counters and histograms, served on GET /metrics when PGWARD_METRICS_LISTEN is set.
// Its own registry (with Node's process metrics), so nothing else in the process can leak in. Counted
// where the daemon already does the work, through the few calls below, so daemon.ts stays readable.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WalPushOutcome } from '../wal/wal-push.js';

// archive_command latency: from a segment already uploaded ahead (milliseconds) to a slow store (seconds).
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface DaemonIdentity {
  cluster: string;
  version: string;
  systemIdentifier: string;
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly info = new Gauge({ name: 'pgward_daemon_info', help: 'The cluster this daemon serves (value always 1)', labelNames: ['cluster', 'version', 'system_identifier'], registers: [this.registry] });
  private readonly serving = new Gauge({ name: 'pgward_daemon_serving', help: '1 while serving; 0 after refusing (identity or repository stamp changed)', registers: [this.registry] });
  private readonly archived = new Counter({ name: 'pgward_daemon_segments_archived_total', help: 'WAL files stored and verified, by result (archived, already-archived) and by whether uploaded ahead of archive_command', labelNames: ['result', 'ahead'], registers: [this.registry] });
  private readonly walBytes = new Counter({ name: 'pgward_daemon_wal_bytes_total', help: 'Bytes of WAL archived (before compression)', registers: [this.registry] });
  private readonly uploadedBytes = new Counter({ name: 'pgward_daemon_uploaded_bytes_total', help: 'Bytes uploaded to the repository for WAL (after compression)', registers: [this.registry] });
  private readonly uploadSeconds = new Histogram({ name: 'pgward_daemon_upload_duration_seconds', help: 'Time to store and verify one WAL file', buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly uploadFailures = new Counter({ name: 'pgward_daemon_upload_failures_total', help: 'WAL uploads that failed, by error code', labelNames: ['code'], registers: [this.registry] });
  private readonly requests = new Counter({ name: 'pgward_daemon_requests_total', help: 'Requests answered on the socket, by operation', labelNames: ['op'], registers: [this.registry] });
  private readonly failures = new Counter({ name: 'pgward_daemon_request_failures_total', help: 'Requests answered with a failure, by operation, error code and exit status', labelNames: ['op', 'code', 'exit_code'], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({ name: 'pgward_daemon_request_duration_seconds', help: 'Time to answer a wal-push or wal-fetch request (what archive_command and restore_command wait for)', labelNames: ['op'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  private readonly prefetch = new Counter({ name: 'pgward_daemon_prefetch_total', help: 'wal-fetch requests served from the prefetch (hit) or from the repository (miss)', labelNames: ['result'], registers: [this.registry] });
  private readonly lastArchived = new Gauge({ name: 'pgward_daemon_last_archived_timestamp_seconds', help: 'When the daemon last stored a WAL file', registers: [this.registry] });
  readonly ready = new Gauge({ name: 'pgward_daemon_wal_ready_files', help: 'WAL files marked .ready at the daemon’s last scan of archive_status', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which promtool rejects (a _total suffix promises a
    // counter); they say little about a daemon's health, so they are left out rather than renamed.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.serving.set(1);
  }

  identify(identity: DaemonIdentity): void {
    this.info.reset();
    this.info.set({ cluster: identity.cluster, version: identity.version, system_identifier: identity.systemIdentifier }, 1);
  }

  setServing(serving: boolean): void {
    this.serving.set(serving ? 1 : 0);
  }

  uploaded(outcome: WalPushOutcome, seconds: number, ahead: boolean): void {
    this.archived.inc({ result: outcome.status, ahead: String(ahead) });
    this.uploadSeconds.observe(seconds);
    if (outcome.status === 'archived') {
      this.walBytes.inc(outcome.size);
      this.uploadedBytes.inc(outcome.storedSize);
    }
    this.lastArchived.set(Date.now() / 1000);
  }

  uploadFailed(code: string): void {
    this.uploadFailures.inc({ code });
  }

  answered(op: string, seconds: number, failure?: { code: string; exitCode: number }): void {
    this.requests.inc({ op });
    this.requestSeconds.observe({ op }, seconds);
    if (failure) this.failures.inc({ op, code: failure.code, exit_code: String(failure.exitCode) });
  }

  prefetched(hit: boolean): void {
    this.prefetch.inc({ result: hit ? 'hit' : 'miss' });
  }
}
