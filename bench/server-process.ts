/**
 * The server under test, in a process of its own (forked by bench/run.ts with an IPC channel):
 *
 * - `BENCH_MODE=api`: the real server, through `startServer` and `loadConfig(process.env)` of the build in dist/,
 *   exactly as `charthero serve` runs it (the parent passes CHARTHERO_* variables, PORT=0 and LOG_LEVEL=warn).
 * - `BENCH_MODE=bare`: the ceiling. A bare Fastify instance (defaults, no logger, no hooks) whose routes return,
 *   from memory, the same bodies the API returns, serialized with the same response schemas. Whatever the API
 *   route achieves is compared with this: the framework's own limit for that body on this machine.
 *
 * Messages from the parent: `{type: 'bodies', bodies}` (bare: the bodies to serve, before it listens),
 * `{type: 'verification', mode: 'real' | 'bypass'}` (api: see below), `{type: 'memory'}`, `{type: 'stop'}`.
 * Answers: `{type: 'ready', url, pid}`, `{type: 'memory', usage}`, `{type: 'ack'}`.
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { KeyState } from '../src/access/key-state.js';
import type * as ConfigModule from '../src/config.js';
import { routeById } from '../src/contract/routes.js';
import type * as ServerModule from '../src/server.js';
import { BARE_PATHS, type ChildMessage, type ParentMessage } from './protocol.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

function nextMessage<T extends ParentMessage['type']>(type: T): Promise<Extract<ParentMessage, { type: T }>> {
  return new Promise((resolve) => {
    const listener = (message: ParentMessage) => {
      if (message.type !== type) return;
      process.off('message', listener);
      resolve(message as Extract<ParentMessage, { type: T }>);
    };
    process.on('message', listener);
  });
}

async function startBare(): Promise<{ url: string; close(): Promise<void> }> {
  const { bodies } = await nextMessage('bodies');
  const app = Fastify();
  const route = (path: string, schemaOf: Parameters<typeof routeById>[0], body: unknown) =>
    app.get(path, { schema: { response: { 200: routeById(schemaOf).response } } }, async () => body);
  route(BARE_PATHS.encounter, 'get_encounter', bodies.encounter);
  route(BARE_PATHS.list, 'list_encounters', bodies.list);
  route(BARE_PATHS.transcript, 'get_transcript', bodies.transcript);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

/**
 * For the end-to-end cost of key verification: in `bypass` mode the directory's `findKey` answers a token it has
 * already verified from a plain Map (no HMAC, no LRU), so the same server, route, key and data run with and
 * without the digest-and-cache step, and the latency difference is that step's cost. (The directory object is the
 * one the pipeline holds; the format and checksum check, the organization lookup and the rest stay as they are.)
 */
function installVerificationSwitch(server: ServerModule.RunningServer): (mode: 'real' | 'bypass') => void {
  const directory = server.runtime.directory;
  const realFindKey = directory.findKey.bind(directory);
  const verified = new Map<string, KeyState | null>();
  const bypass: typeof directory.findKey = async (token, keyring) => {
    const known = verified.get(token);
    if (known !== undefined) return known;
    const state = await realFindKey(token, keyring);
    verified.set(token, state);
    return state;
  };
  return (mode) => {
    verified.clear();
    directory.findKey = mode === 'bypass' ? bypass : realFindKey;
  };
}

const SOURCES = new URL('../src/', import.meta.url);
const BUILD = new URL('../dist/', import.meta.url);

/**
 * The API as it ships: the build in dist/ (what `charthero serve` runs), not the sources through tsx, whose
 * transform wraps functions in helpers of its own (about 4 % of a get_encounter's CPU, bench/README.md). A build
 * older than any source file would measure other code than the tree's, so that refuses to start.
 */
async function builtServer() {
  const sources = fileURLToPath(SOURCES);
  for (const file of readdirSync(sources, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const built = fileURLToPath(new URL(file.replace(/\.ts$/, '.js'), BUILD));
    const builtAt = statSync(built, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    if (builtAt < statSync(`${sources}${file}`).mtimeMs) {
      throw new Error(`dist/ is older than src/${file}: run \`npm run build\` first (npm run bench does)`);
    }
  }
  const { startServer } = (await import(new URL('server.js', BUILD).href)) as typeof ServerModule;
  const { loadConfig } = (await import(new URL('config.js', BUILD).href)) as typeof ConfigModule;
  return startServer(loadConfig(process.env));
}

async function main(): Promise<void> {
  const mode = process.env.BENCH_MODE ?? 'api';
  let close: () => Promise<void>;
  let url: string;
  let setVerification: ((mode: 'real' | 'bypass') => void) | undefined;
  if (mode === 'bare') {
    ({ url, close } = await startBare());
  } else {
    const server = await builtServer();
    url = server.url;
    close = server.close;
    setVerification = installVerificationSwitch(server);
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'memory') send({ type: 'memory', usage: process.memoryUsage() });
    if (message.type === 'retained-memory') {
      (globalThis as { gc?: () => void }).gc?.();
      send({ type: 'memory', usage: process.memoryUsage() });
    }
    if (message.type === 'verification') {
      setVerification?.(message.mode);
      send({ type: 'ack' });
    }
    if (message.type === 'stop') {
      void close().finally(() => process.exit(0));
    }
  });
  // The parent going away (a crash, Ctrl-C) must not leave a server behind.
  process.on('disconnect', () => {
    void close().finally(() => process.exit(0));
  });
  send({ type: 'ready', url, pid: process.pid });
}

// Only ever a forked child of bench/run.ts: without an IPC channel there is nobody to serve.
if (!process.send) throw new Error('bench/server-process.ts is started by bench/run.ts (npm run bench)');
await main();
