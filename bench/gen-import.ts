/**
 * Writes a large import file for measuring `charthero import`:
 *   npx tsx bench/gen-import.ts /tmp/big.ndjson 100000
 *   time node bin/charthero.js import /tmp/big.ndjson
 * One organization; per encounter one patient, one encounter and one markdown note (three rows per encounter).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export async function writeImportFile(path: string, encounters: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (record: object) => {
    if (!out.write(`${JSON.stringify(record)}\n`)) await once(out, 'drain');
  };
  const organizationId = 'org_bench';
  await write({ type: 'organization', id: organizationId, name: 'Benchmark Clinic' });
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < encounters; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    await write({
      type: 'patient',
      id: `pat_bench_${i}`,
      organization_id: organizationId,
      first_name: 'Bench',
      last_name: `Patient ${i}`,
      date_of_birth: '1970-01-01',
    });
    await write({
      type: 'encounter',
      id: `enc_bench_${i}`,
      organization_id: organizationId,
      patient_id: `pat_bench_${i}`,
      encounter_type: 'dictation',
      status: 'completed',
      origin: 'clinical',
      available: true,
      created_at: at,
      updated_at: at,
      date_of_service: at,
    });
    await write({
      type: 'document',
      id: `doc_bench_${i}`,
      encounter_id: `enc_bench_${i}`,
      schema_type: 'document',
      title: 'Note',
      status: 'signed',
      workflow_variant: null,
      available: true,
      content: { format: 'markdown', text: `# Visit ${i}\n\nSubjective, objective, assessment and plan.` },
      created_at: at,
      updated_at: at,
    });
  }
  out.end();
  await once(out, 'finish');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, count = '100000'] = process.argv.slice(2);
  if (!path) {
    process.stderr.write('usage: tsx bench/gen-import.ts FILE [ENCOUNTERS]\n');
    process.exit(2);
  }
  await writeImportFile(path, Number(count));
}
