/**
 * The server the fuzz test attacks, in a process of its own (so a crash is visible as an exit, and the server and
 * the client each get a CPU core). Run with `node --import tsx`. Prints one JSON line with the port and keys once
 * listening; when stdin closes, prints one JSON line with the error-level log lines it saw, closes and exits 0.
 */
import { addKey } from '../../support/fixture.js';
import { startHarness } from '../../support/harness.js';

const h = await startHarness({ env: { LOG_LEVEL: 'warn' } });
const address = await h.runtime.app.listen({ host: '127.0.0.1', port: 0 });
const unlimited = [
  (await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 0 })).secret,
  (await addKey(h.runtime, h.config, { organizationId: 'org_beta', rateLimitPerSecond: 0 })).secret,
  (
    await addKey(h.runtime, h.config, {
      organizationId: 'org_alpha',
      rateLimitPerSecond: 0,
      scopes: ['encounters:read', 'documents:read'],
    })
  ).secret,
];
// A key with a tiny budget, so 429 rate_limited is part of the mix.
const limited = (await addKey(h.runtime, h.config, { organizationId: 'org_alpha', rateLimitPerSecond: 1 })).secret;
const audio = await h.get('/external/v1/encounters/enc_a1/documents/doc_amb/audio', {
  authorization: `Bearer ${unlimited[0]}`,
});
const media = new URL(audio.json().audio_url);
process.stdout.write(
  `${JSON.stringify({
    port: Number(new URL(address).port),
    unlimited,
    others: [...Object.values(h.fixture.keys).map((key) => key.secret), limited, limited, limited],
    mediaPath: media.pathname + media.search,
  })}\n`,
);

process.stdin.resume();
process.stdin.on('end', async () => {
  const errorLines = h.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
  const logLines = h.logs.length;
  await h.close();
  process.stdout.write(`${JSON.stringify({ errorLines, logLines })}\n`);
  process.exit(0);
});
