/**
 * The crash test of CONTRACT.md section 14: a real `charthero serve` process under 16 keep-alive connections of
 * mixed 200 traffic (every public route, audio URLs included) is killed with SIGKILL at a random moment, 20 times.
 * Every 2xx the client received — counted as soon as its status line arrived — must have its records in the
 * ledger afterwards, matched by X-Request-Id: the `request` record, and `audio_url_issued` for an audio URL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { chartheroJson, serve } from '../blackbox/serve.js';
import { ensureBuilt } from '../cli/cli.js';
import { type FreshDatabase, freshDatabase } from '../support/database.js';

const ROUNDS = 20;
const CONNECTIONS = 16;

let dir: string;
let database: FreshDatabase;
let env: Record<string, string>;
let secret: string;
let urls: { path: string; audio: boolean }[];

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'charthero-crash-'));
  database = await freshDatabase(dir);
  env = {
    CHARTHERO_DATABASE_URL: database.url,
    CHARTHERO_DIGEST_KEYS_FILE: join(dir, 'digest-keys.json'),
    CHARTHERO_AUDIO_STORAGE: `file:${join(dir, 'audio')}`,
  };
  await chartheroJson(['keyring', 'create', env.CHARTHERO_DIGEST_KEYS_FILE!], dir, env);
  const seeded = await chartheroJson<{ organization_id: string }>(['seed', '--encounters', '6'], dir, env);
  // A key without a rate limit, so the load is all 200s.
  const key = await chartheroJson<{ secret: string }>(
    ['key', 'create', '--org', seeded.organization_id, '--scopes', 'all', '--rate-limit', '0'],
    dir,
    env,
  );
  secret = key.secret;
}, 120_000);

afterAll(async () => {
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: string;
}

function get(agent: Agent, port: number, path: string, requestId: string, onStatus?: (status: number) => void) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers: { authorization: `Bearer ${secret}`, 'x-request-id': requestId },
      },
      (res) => {
        onStatus?.(res.statusCode!);
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode!, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Every route's URLs over the seeded data, each checked to answer 200. */
async function discoverUrls(port: number): Promise<{ path: string; audio: boolean }[]> {
  const agent = new Agent({ keepAlive: true });
  try {
    const list = JSON.parse((await get(agent, port, '/external/v1/encounters?limit=100', 'discover')).body) as {
      items: { encounter_id: string; documents: { document_id: string; schema_type: string }[] }[];
    };
    const found = [{ path: '/external/v1/encounters?limit=5', audio: false }];
    for (const encounter of list.items) {
      const base = `/external/v1/encounters/${encounter.encounter_id}`;
      found.push({ path: base, audio: false });
      for (const document of encounter.documents) {
        const path = `${base}/documents/${document.document_id}`;
        found.push({ path, audio: false });
        if (document.schema_type === 'ambient_transcript') {
          found.push({ path: `${path}/transcript`, audio: false }, { path: `${path}/audio`, audio: true });
        }
      }
    }
    const ok: { path: string; audio: boolean }[] = [];
    for (const url of found) if ((await get(agent, port, url.path, 'discover')).status === 200) ok.push(url);
    return ok;
  } finally {
    agent.destroy();
  }
}

it('SIGKILL at a random moment under load, 20 rounds: every 2xx received has its records', async () => {
  const received: { requestId: string; audio: boolean }[] = [];
  let killedInFlight = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const server = await serve({ cwd: dir, env: { ...env, LOG_LEVEL: 'error' } });
    urls ??= await discoverUrls(server.port);
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    let stop = false;
    let sequence = 0;
    const worker = async (connection: number) => {
      while (!stop) {
        const url = urls[(sequence + connection) % urls.length]!;
        const requestId = `crash-${round}-${connection}-${sequence++}`;
        try {
          // Counted at the status line: the moment anything of a 2xx reached the client.
          await get(agent, server.port, url.path, requestId, (status) => {
            if (status >= 200 && status < 300) received.push({ requestId, audio: url.audio });
          });
        } catch {
          killedInFlight++;
          return; // The server is gone.
        }
      }
    };
    const before = received.length;
    const workers = Array.from({ length: CONNECTIONS }, (_, connection) => worker(connection));
    // Once traffic flows (a fresh process is slow at first), the kill lands at a random moment.
    while (received.length - before < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 300));
    server.child.kill('SIGKILL');
    await new Promise((resolve) => server.child.once('exit', resolve));
    stop = true;
    await Promise.all(workers);
    agent.destroy();
  }

  const store = openStore(database.url);
  const missing: string[] = [];
  try {
    const recorded = new Map<string, Set<string>>();
    const rows = await store.db
      .selectFrom('audit_events')
      .select(['request_id', 'event', 'status'])
      .where('request_id', 'like', 'crash-%')
      .execute();
    for (const row of rows) {
      if (row.status < 200 || row.status >= 300) continue;
      const events = recorded.get(row.request_id) ?? new Set();
      events.add(row.event);
      recorded.set(row.request_id, events);
    }
    for (const { requestId, audio } of received) {
      const events = recorded.get(requestId);
      if (!events?.has('request')) missing.push(`${requestId} request`);
      if (audio && !events?.has('audio_url_issued')) missing.push(`${requestId} audio_url_issued`);
    }
  } finally {
    await store.close();
  }
  const routes = new Set(
    urls.map((url) =>
      url.path.includes('?')
        ? 'list'
        : (/\/(transcript|audio)$/.exec(url.path)?.[1] ??
          (url.path.includes('/documents/') ? 'document' : 'encounter')),
    ),
  );
  console.log(
    `[audit crash] ${ROUNDS} rounds of SIGKILL under ${CONNECTIONS} connections over ${urls.length} URLs: ` +
      `${missing.length} missing of ${received.length} (requests cut off by the kill: ${killedInFlight})`,
  );
  expect([...routes].sort()).toEqual(['audio', 'document', 'encounter', 'list', 'transcript']);
  expect(urls.some((url) => url.audio)).toBe(true);
  expect(received.length).toBeGreaterThanOrEqual(ROUNDS * 20);
  expect(missing).toEqual([]);
}, 300_000);
