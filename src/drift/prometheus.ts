/**
 * Prometheus textfile-collector metrics for a drift run (node_exporter --collector.textfile).
 *
 * Metric set (documented in the README, "drift metrics"):
 * - srvctl_drift{cluster,kind}: findings of a check that completed. A check that failed
 *   writes no srvctl_drift row at all — never a 0, which would read as "in sync".
 * - srvctl_drift_check_success{cluster}: 1 when every manifest of the cluster was checked, else 0.
 * - srvctl_drift_last_success_timestamp_seconds{cluster}: carried over from the previous file while failing.
 * - srvctl_drift_duration_seconds{cluster}
 * - srvctl_drift_manifest_error{file,reason}: 1 per manifest file that could not be checked
 *   (reason: unreadable, not-regular, dangling-symlink, symlink-loop, too-large, yaml,
 *   invalid, duplicate, check), keyed by file so broken and duplicate files keep distinct series.
 * - srvctl_drift_last_run_timestamp_seconds: when this file was written (every run).
 *
 * One row per cluster label in every family: entries that share a cluster (a duplicate id,
 * or an invalid manifest naming a cluster another file declares) are merged, failure winning.
 */
export interface ClusterMetrics {
  cluster: string;
  ok: boolean;
  durationSeconds: number;
  /** findings per kind */
  drift: Record<string, number>;
  /** unix seconds of the last successful check, carried over from the previous file when this one failed */
  lastSuccess: number | null;
  /** the manifest file (labels the error metric) */
  file?: string;
  /** why a failed check failed (see the metric set); 'check' when not given */
  reason?: string;
}

const KINDS = ['provider', 'dns', 'etcd'];

function label(v: string): string {
  // Control characters have no business in a label value; \n is escaped as the format wants.
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '?').replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function merge(clusters: readonly ClusterMetrics[]): ClusterMetrics[] {
  const by = new Map<string, ClusterMetrics>();
  for (const c of clusters) {
    const seen = by.get(c.cluster);
    if (!seen) {
      by.set(c.cluster, { ...c, drift: { ...c.drift } });
      continue;
    }
    seen.ok = seen.ok && c.ok;
    seen.durationSeconds = Math.max(seen.durationSeconds, c.durationSeconds);
    for (const [k, n] of Object.entries(c.drift)) seen.drift[k] = (seen.drift[k] ?? 0) + n;
    seen.lastSuccess = seen.lastSuccess === null ? c.lastSuccess : c.lastSuccess === null ? seen.lastSuccess : Math.min(seen.lastSuccess, c.lastSuccess);
  }
  return [...by.values()];
}

export function metricsText(all: readonly ClusterMetrics[], nowSeconds = Math.floor(Date.now() / 1000)): string {
  const clusters = merge(all);
  const lines: string[] = [];
  const family = (name: string, help: string, type: string, rows: string[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    // not push(...rows): a spread of some 100,000 rows (tens of thousands of clusters) overflows the stack
    for (const row of rows) lines.push(row);
  };
  family(
    'srvctl_drift',
    'Findings of the last drift check that completed, by cluster and kind (0 = in sync; no row when the check failed).',
    'gauge',
    clusters.filter((c) => c.ok).flatMap((c) => KINDS.map((k) => `srvctl_drift{cluster="${label(c.cluster)}",kind="${k}"} ${c.drift[k] ?? 0}`)),
  );
  family('srvctl_drift_check_success', 'Whether the last drift check of the cluster completed (1) or failed (0).', 'gauge', clusters.map((c) => `srvctl_drift_check_success{cluster="${label(c.cluster)}"} ${c.ok ? 1 : 0}`));
  family(
    'srvctl_drift_last_success_timestamp_seconds',
    'Unix time of the last drift check of the cluster that completed.',
    'gauge',
    clusters.filter((c) => c.lastSuccess !== null).map((c) => `srvctl_drift_last_success_timestamp_seconds{cluster="${label(c.cluster)}"} ${c.lastSuccess}`),
  );
  family('srvctl_drift_duration_seconds', 'How long the drift check of the cluster took.', 'gauge', clusters.map((c) => `srvctl_drift_duration_seconds{cluster="${label(c.cluster)}"} ${c.durationSeconds.toFixed(3)}`));
  const errors = new Map<string, string>();
  for (const c of all) if (!c.ok) errors.set(c.file ?? c.cluster, c.reason ?? 'check');
  family(
    'srvctl_drift_manifest_error',
    'A manifest file that could not be checked, with why (unreadable, not-regular, dangling-symlink, symlink-loop, too-large, yaml, invalid, duplicate, check).',
    'gauge',
    [...errors].map(([file, reason]) => `srvctl_drift_manifest_error{file="${label(file)}",reason="${label(reason)}"} 1`),
  );
  family('srvctl_drift_manifests', 'How many manifest files the run found, checked or not (0: nothing was checked; alert on it).', 'gauge', [`srvctl_drift_manifests ${all.length}`]);
  family('srvctl_drift_last_run_timestamp_seconds', 'Unix time of the drift run that wrote this file.', 'gauge', [`srvctl_drift_last_run_timestamp_seconds ${nowSeconds}`]);
  return `${lines.join('\n')}\n`;
}

/** Last-success times from a previous metrics file, so a failing run does not forget them. */
export function previousSuccess(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^srvctl_drift_last_success_timestamp_seconds\{cluster="((?:[^"\\]|\\.)*)"\} (\d+(?:\.\d+)?)$/gm)) out.set(m[1]!.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1'), Number(m[2]));
  return out;
}
