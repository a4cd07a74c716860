import type { Provider, PreflightResult } from '../../providers/provider.js';
import type { CheckReport, Finding } from '../check/analyze.js';
import type { Asker } from '../check/gather.js';
import type { LiveMember } from '../drift/membership.js';
import type { EtcdClient, EtcdTls } from '../etcd/client.js';
import type { ErrorCode } from '../errors.js';
import type { Finding as ManifestFinding, Manifest } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import type { SavedPlan } from '../plan/saved.js';
import type { Resolver } from '../predict/served.js';
import type { Rec } from '../records/record.js';
import type { Format } from '../render/formats.js';
import type { Rendered } from '../render/render.js';
import type { NamedServer, VerifyReport } from '../verify/verify.js';

/** The stages of SPEC v1.1 "The order of every writing command", in order. */
export const STAGES = ['load', 'read', 'plan', 'predict-planned', 'preflight', 'write', 'verify', 'predict-served', 'render'] as const;
export type Stage = (typeof STAGES)[number];

/** destroy: the plan deletes every owned record (src/plan/destroy.ts); no prediction, no render */
export type Mode = 'plan' | 'sync' | 'drift' | 'destroy';

export interface ReconcileRequest {
  mode: Mode;
  /** the manifest file (stage 1 reads and validates it, unless `loaded` is given) */
  file: string;
  /**
   * `file` as the caller already read and validated it (drift's directory walk must, to
   * report invalid and duplicate manifests before any check): stage 1 takes it as it is
   * rather than reading and parsing the file a second time.
   */
  loaded?: { manifest: Manifest; warnings: ManifestFinding[] };
  /** sync: the render format and member, checked against the manifest in stage 1 */
  format?: Format;
  member?: string;
  /** sync: apply without asking */
  yes?: boolean;
  /** sync: stop after stage 4 */
  dryRun?: boolean;
  /** sync: false skips stage 6's DNS queries (stage 3 always runs) */
  verify?: boolean;
  /** sync: write although stage 3 or stage 6's prediction finds errors (never past a guard or preflight) */
  force?: boolean;
  /** client URLs of the running cluster (the flag; else the manifest's etcd.endpoints) */
  etcdEndpoints?: string[];
  etcdTls?: EtcdTls;
  /** sync: srvctl runs member update for a running member whose host or peer port changes (else refused) */
  moveMembers?: boolean;
  /** sync: srvctl runs member remove for running members that left the manifest, never below quorum (else refused) */
  removeMembers?: boolean;
  /** sync: srvctl replaces a member that does not answer with its namesake marked existing at a new peer URL (else refused) */
  replaceMembers?: boolean;
  /** drift: compare the running cluster too, found through _etcd-client SRV when no endpoints are known */
  etcd?: boolean;
  /** plan/sync: one-shot take-over of exact foreign records (`--adopt`), or of a renamed owner's (`--adopt-from`) */
  adopt?: boolean;
  adoptFrom?: string;
  /** sync --plan: apply exactly this saved plan, or refuse when anything it was made from changed */
  savedPlan?: SavedPlan;
}

/** Everything outside the core, injected. */
export interface ReconcileDeps {
  readText(file: string): Promise<string>;
  openProvider(manifest: Manifest): Promise<Provider>;
  /** one non-recursive question to one nameserver */
  query: (server: NamedServer, name: string, type: string, opts: { timeoutMs: number; retries: number }) => ReturnType<Asker>;
  /** for names outside the zone (a member's resolver); absent: such targets are not followed */
  resolver?: Resolver;
  /** host name → addresses, for verify.nameservers given as names */
  lookupHost(host: string): Promise<string[]>;
  /**
   * drift: the nameservers to compare when the manifest names none, in place of asking the
   * provider (its NS set) for each manifest: drift's run asks once per provider and zone
   * (src/drift/run-deps.ts). Absent: the provider is asked.
   */
  providerNameservers?(provider: Provider, manifest: Manifest): Promise<NamedServer[]>;
  etcdClient(endpoints: string[], tls: EtcdTls): EtcdClient;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** asked before stage 5 unless `yes`; sees the report so far (plan, verdict, preflight, guards) */
  confirm(report: ReconcileReport): Promise<boolean>;
  /** called after each stage with the report so far: commands print progressively */
  onStage?(stage: Stage, report: ReconcileReport): void;
  /** every verify round, for a progress line */
  onVerifyRound?(report: VerifyReport, elapsedMs: number, waitMs: number): void;
}

export interface Verdict {
  /** etcd would form the intended cluster from the records */
  ok: boolean;
  errors: Finding[];
  warnings: Finding[];
}

export type GuardCode =
  | 'peer-url-change' // a running member's host or peer port changes
  | 'running-member-missing' // a running member is not in the manifest
  | 'unstarted-member' // a member was added to the cluster but never started, and is not in the manifest
  | 'join' // a member marked existing that the cluster lacks: member add
  | 'move' // --move-members: member update to the new peer URL, then the records
  | 'remove' // --remove-members: member remove, then the records are deleted
  | 'replace' // a member marked existing under a running member's name at another peer URL, the old one not answering: remove, add, publish
  | 'replace-running' // the member a replacement would remove still answers
  | 'replace-unasked' // a member marked existing under a running member's name at another peer URL, without --replace-members or --move-members
  | 'quorum' // the removals would leave the cluster without quorum
  | 'move-quorum' // the members moved at once are a majority: no quorum until they restart
  | 'existing-without-endpoints' // a member marked existing, and no endpoints to add it
  | 'member-change-unverified' // records of a member change, and no endpoints to tell whether it runs
  | 'destroy-running' // destroy: members of the cluster still run
  | 'destroy-unverified'; // destroy: no endpoints (or none answered) to tell whether members run

export interface Guard {
  code: GuardCode;
  /** refuse: nothing is written; warn: said, and the run goes on; act: srvctl does it in stage 5 */
  effect: 'refuse' | 'warn' | 'act';
  member: string;
  /** hex, as etcdctl prints it */
  memberId?: string;
  message: string;
  /** what to run by hand */
  command?: string;
}

export type WriteAction = 'member remove' | 'member update' | 'member add' | 'dns apply' | 'member remove (undo)' | 'member update (undo)';

export interface WriteStep {
  action: WriteAction;
  ok: boolean;
  member?: string;
  memberId?: string;
  peerURLs?: string[];
  /** member update: the peer URLs before (what an undo restores) */
  previousPeerURLs?: string[];
  /** dns apply: changes applied */
  applied?: number;
  notes: string[];
  error?: string;
}

export interface DriftFinding {
  /** overlap: found by drift across manifests (another manifest claims the same SRV name or host:port) */
  kind: 'provider' | 'dns' | 'etcd' | 'prediction' | 'overlap';
  message: string;
  record?: string;
  nameserver?: string;
  member?: string;
}

export type Outcome =
  | 'in-sync' // nothing to change (sync: verified and rendered)
  | 'pending' // plan / dry-run: changes would be made
  | 'applied' // sync wrote and verified
  | 'declined' // the confirmation was answered no
  | 'refused' // a judgment stopped the run before any write
  | 'failed'; // an error stopped the run

export interface ReconcileReport {
  mode: Mode;
  file: string;
  /** the last stage that completed */
  stage: Stage | null;
  outcome: Outcome;
  manifest?: Manifest;
  provider?: { type: string; description: string };
  /** the provider's TTL floor clamped the manifest's TTL */
  ttlClamped?: { minTtl: number };
  plan?: Plan;
  /** names read at the provider */
  readNames?: string[];
  /** the records read there (for a saved plan's digest) */
  actual?: Rec[];
  /** what the provider holds once the plan is applied: computed once, used by stages 3 and 6 */
  after?: Rec[];
  /** stage 3: the prediction on `after` */
  planned?: CheckReport;
  verdict?: Verdict;
  preflight?: PreflightResult;
  /** clusterId: the running cluster's, in hex; members marked existing join it (not the ID a fresh bootstrap from SRV would compute) */
  live?: { endpoints: string[]; members: LiveMember[]; clusterId?: string };
  /** members marked existing and the running cluster each joins (hex ID) */
  joining?: { member: string; clusterId: string }[];
  guards: Guard[];
  writes: WriteStep[];
  /** stage 6; null when skipped (--no-verify) */
  verify?: VerifyReport | null;
  /** stage 6 prediction on served DNS; null when skipped */
  prediction?: CheckReport | null;
  /** the nameservers verify asked */
  nameservers?: NamedServer[];
  configs?: Rendered[];
  /** drift mode */
  drift?: DriftFinding[];
  /** things said that did not stop the run */
  warnings: string[];
  error?: { stage: Stage; code: ErrorCode; message: string; details: string[] };
}
