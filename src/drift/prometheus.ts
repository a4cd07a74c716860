/** Prometheus textfile-collector metrics for a drift run (node_exporter --collector.textfile). */
export interface ClusterMetrics {
  cluster: string;
  ok: boolean;
  durationSeconds: number;
  /** findings per kind */
  drift: Record<string, number>;
  /** unix seconds of the last successful check, carried over from the previous file when this one failed */
  lastSuccess: number | null;
}

const KINDS = ['provider', 'dns', 'etcd'];

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function metricsText(clusters: readonly ClusterMetrics[]): string {
  const lines: string[] = [];
  const family = (name: string, help: string, type: string, rows: string[]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...rows);
  };
  family('srvctl_drift', 'Findings of the last drift check, by cluster and kind (0 = in sync).', 'gauge', clusters.flatMap((c) => KINDS.map((k) => `srvctl_drift{cluster="${label(c.cluster)}",kind="${k}"} ${c.drift[k] ?? 0}`)));
  family('srvctl_drift_check_success', 'Whether the last drift check of the cluster completed (1) or failed (0).', 'gauge', clusters.map((c) => `srvctl_drift_check_success{cluster="${label(c.cluster)}"} ${c.ok ? 1 : 0}`));
  family(
    'srvctl_drift_last_success_timestamp_seconds',
    'Unix time of the last drift check of the cluster that completed.',
    'gauge',
    clusters.filter((c) => c.lastSuccess !== null).map((c) => `srvctl_drift_last_success_timestamp_seconds{cluster="${label(c.cluster)}"} ${c.lastSuccess}`),
  );
  family('srvctl_drift_duration_seconds', 'How long the drift check of the cluster took.', 'gauge', clusters.map((c) => `srvctl_drift_duration_seconds{cluster="${label(c.cluster)}"} ${c.durationSeconds.toFixed(3)}`));
  return `${lines.join('\n')}\n`;
}

/** Last-success times from a previous metrics file, so a failing run does not forget them. */
export function previousSuccess(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^srvctl_drift_last_success_timestamp_seconds\{cluster="((?:[^"\\]|\\.)*)"\} (\d+(?:\.\d+)?)$/gm)) out.set(m[1]!.replace(/\\(.)/g, '$1'), Number(m[2]));
  return out;
}
