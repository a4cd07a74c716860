import { checkText } from '../check/format.js';
import { planText } from '../plan/format.js';
import { preflightText, verdictText, writeText } from '../reconcile/format.js';
import type { ReconcileReport } from '../reconcile/types.js';
import { verifyText } from '../verify/format.js';
import type { Context } from './context.js';

/**
 * Prints a reconcile report section by section as the stages complete; `flush` prints
 * whatever a failed stage left unprinted. Each section is printed once.
 */
export class ReportPrinter {
  private printed = new Set<string>();
  private warningsShown = 0;

  constructor(
    private readonly ctx: Context,
    private readonly command: 'plan' | 'sync' | 'destroy',
    private readonly write: (text: string) => void,
  ) {}

  private once(key: string, present: boolean, text: () => string): void {
    if (!present || this.printed.has(key)) return;
    this.printed.add(key);
    const t = text();
    if (t) this.write(t);
  }

  flush(r: ReconcileReport): void {
    const paint = this.write === this.ctx.out ? this.ctx.paint : this.ctx.errPaint;
    for (; this.warningsShown < r.warnings.length; this.warningsShown++) this.ctx.err(this.ctx.errPaint.change(`warning: ${r.warnings[this.warningsShown]}\n`));
    this.once('header', !!r.provider, () => `srvctl ${this.command}: cluster ${r.manifest!.cluster}, ${r.provider!.description}\n\n`);
    this.once('plan', !!r.plan, () => planText(r.plan!, paint, { showMarkers: this.ctx.verbose }));
    this.once('verdict', !!r.verdict, () => `\n${verdictText(r, paint)}`);
    this.once('preflight', !!r.preflight || r.guards.length > 0, () => preflightText(r, paint));
    this.once('writes', r.writes.length > 0, () => writeText(r.writes, paint));
    this.once('verify', !!r.verify, () => {
      if (this.ctx.stderrIsTTY) this.ctx.err('\r\x1b[K');
      return `\n${verifyText(r.verify!, paint)}`;
    });
    this.once('prediction', !!r.prediction, () => {
      const p = r.prediction!;
      const c = p.cluster.formed;
      if (p.findings.some((f) => f.severity === 'error') || !c) return `\n${checkText(p, paint)}`;
      const warnings = p.findings.map((w) => paint.change(`  ! ${w.message}\n`)).join('');
      return `\netcd ${p.version} prediction: every member finds itself; a ${c.size}-member cluster forms (cluster ID ${c.clusterId}).\n${warnings}`;
    });
    for (; this.warningsShown < r.warnings.length; this.warningsShown++) this.ctx.err(this.ctx.errPaint.change(`warning: ${r.warnings[this.warningsShown]}\n`));
  }
}
