import type { Paint } from '../plan/format.js';
import type { VerifyReport } from './verify.js';

/** Nameserver × record table with ✓/✗, and one line per problem below it. */
export function verifyText(report: VerifyReport, paint: Paint): string {
  const rows = report.expectations.map((e) => `${e.name} ${e.type}`);
  const width = Math.max(6, ...rows.map((r) => r.length));
  const header = `${'record'.padEnd(width)}  ${report.nameservers.map((n, i) => `ns${i + 1}`).join('  ')}`;
  const lines = [paint.bold(header)];
  report.expectations.forEach((e, i) => {
    const marks = report.nameservers.map((ns) => {
      const cell = report.cells.find((c) => c.nameserver === ns && c.name === e.name && c.type === e.type);
      return cell?.status === 'ok' ? paint.add('✓') : paint.conflict('✗');
    });
    // each column is "nsN" wide plus two spaces; a mark is one column wide
    lines.push(`${rows[i]!.padEnd(width)}  ${marks.map((m, j) => m + ' '.repeat(`ns${j + 1}`.length + 1)).join('')}`.trimEnd());
  });
  report.nameservers.forEach((ns, i) => lines.push(paint.dim(`ns${i + 1} = ${ns}`)));
  for (const c of report.cells) {
    if (c.status === 'ok') continue;
    const what =
      c.status === 'differs'
        ? [c.missing.length ? `missing ${c.missing.join(', ')}` : '', c.extra.length ? `unexpected ${c.extra.join(', ')}` : ''].filter(Boolean).join('; ')
        : c.detail ?? c.status;
    lines.push(paint.conflict(`✗ ${c.nameserver}: ${c.name} ${c.type}: ${what}`));
  }
  return `${lines.join('\n')}\n`;
}

export function verifyJson(report: VerifyReport) {
  return {
    ok: report.ok,
    rounds: report.rounds,
    nameservers: report.nameservers,
    results: report.cells.map((c) => ({ nameserver: c.nameserver, name: c.name, type: c.type, status: c.status, got: c.got, missing: c.missing, extra: c.extra, detail: c.detail ?? null })),
  };
}
