/**
 * Server processes under test (bench/server-process.ts, forked with an IPC channel and pinned to a core of its
 * own), and the requests every scenario sends them.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '../src/access/key-format.js';
import { LIST_LIMIT as LIST_BOUND, LIST_OFFSET } from '../src/contract/bounds.js';
import { type Dataset, encounterId, listableEncounter } from './generate.js';
import type { LoadSpec } from './load.js';
import type { BareBodies, ChildMessage, ParentMessage } from './protocol.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Page size of every list request (the largest the contract allows), and the deepest offset it allows. */
export const LIST_LIMIT = LIST_BOUND.max;
export const MAX_OFFSET = LIST_OFFSET.max;

export interface ServerHandle {
  url: string;
  pid: number;
  send(message: ParentMessage): void;
  ask<T extends ChildMessage['type']>(message: ParentMessage, reply: T): Promise<Extract<ChildMessage, { type: T }>>;
  stop(): Promise<void>;
}

export const children = new Set<ChildProcess>();
/**
 * The machine's cores, not this process's share of them (os.availableParallelism): bench/ab.ts pins itself to one
 * core before it loads another tree's copy of this module, which then saw one core and left that tree's server on
 * the load generator's core.
 */
export const PIN = process.env.BENCH_PIN !== '0' && os.cpus().length >= 2 && hasTaskset();

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Pins a process (all its threads) to one core. */
export function pin(pid: number, core: number): void {
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

export async function startServerProcess(
  mode: 'api' | 'bare',
  extraEnv: Record<string, string>,
  bodies?: BareBodies,
  nodeOptions: string[] = [],
): Promise<ServerHandle> {
  const childEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !name.startsWith('CHARTHERO_') && !['PORT', 'HOST', 'LOG_LEVEL'].includes(name)) {
      childEnv[name] = value;
    }
  }
  const child = fork(join(here, 'server-process.ts'), [], {
    execArgv: ['--import', 'tsx', ...nodeOptions],
    env: { ...childEnv, BENCH_MODE: mode, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const waitFor = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`${mode} server exited (code ${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = waitFor('ready');
  if (bodies) child.send({ type: 'bodies', bodies } satisfies ParentMessage);
  const { url, pid } = await ready;
  pin(pid, 1);
  return {
    url,
    pid,
    send: (message) => child.send(message),
    ask(message, reply) {
      const answer = waitFor(reply);
      child.send(message);
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export function apiEnv(dataset: Dataset): Record<string, string> {
  return {
    CHARTHERO_ENVIRONMENT: 'sandbox',
    CHARTHERO_DATABASE_URL: dataset.databaseUrl,
    CHARTHERO_DIGEST_KEYS_FILE: dataset.keyringFile,
    CHARTHERO_AUDIO_STORAGE: `file:${dataset.audioDir}`,
    CHARTHERO_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
    // The invalid-key storms say which address they come from (strangerHeaders, STORM_ADDRESS).
    CHARTHERO_TRUST_PROXY: '1',
  };
}

export const ENCOUNTERS_PATH = '/external/v1/encounters';

export function randomListable(n: number): number {
  for (;;) {
    const i = Math.floor(Math.random() * n);
    if (listableEncounter(i)) return i;
  }
}

export function deepOffset(dataset: Dataset): number {
  return Math.min(MAX_OFFSET, dataset.listable - LIST_LIMIT);
}

export function apiRequests(dataset: Dataset) {
  const authorization = `Bearer ${dataset.keySecret}`;
  const detailPath = () => `${ENCOUNTERS_PATH}/${encounterId(randomListable(dataset.encounters))}`;
  return {
    headers: { authorization },
    detail: () => ({ path: detailPath() }),
    detailPath,
    listFirst: `${ENCOUNTERS_PATH}?limit=${LIST_LIMIT}`,
    listDeep: `${ENCOUNTERS_PATH}?limit=${LIST_LIMIT}&offset=${deepOffset(dataset)}`,
    transcript: `${ENCOUNTERS_PATH}/${dataset.transcript.encounterId}/documents/${dataset.transcript.documentId}/transcript`,
  };
}

/**
 * Requests with random well-formed (checksum-valid) keys that exist nowhere, generated before the clock starts,
 * each from an address of its own (`X-Forwarded-For`; the API runs with CHARTHERO_TRUST_PROXY=1): a storm from
 * many addresses, which the failed-authentication throttle never stops, so every request pays the miss path.
 */
export function strangerHeaders(count: number): Array<Record<string, string>> {
  return Array.from({ length: count }, (_, i) => ({
    authorization: `Bearer ${generateKey('test')}`,
    'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  }));
}

/** The address of the storm from one address (the valid traffic comes from the socket's own, 127.0.0.1). */
export const STORM_ADDRESS = '203.0.113.7';

export function cycle<T>(values: readonly T[]): () => T {
  let index = 0;
  return () => values[index++ % values.length]!;
}

async function getJson(url: string, headers: Record<string, string>, expectStatus = 200) {
  const response = await fetch(url, { headers });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== expectStatus) {
    throw new Error(`preflight ${url}: expected ${expectStatus}, got ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

/** Every scenario's request answers as intended before any load is applied. */
export async function preflight(api: ServerHandle, dataset: Dataset) {
  const requests = apiRequests(dataset);
  const detail = await getJson(api.url + requests.detailPath(), requests.headers);
  if (!(detail.encounter as { encounter_id?: string })?.encounter_id) throw new Error('preflight: no encounter');
  const list = await getJson(api.url + requests.listFirst, requests.headers);
  if ((list.items as unknown[]).length !== LIST_LIMIT) throw new Error('preflight: short list page');
  const deep = await getJson(api.url + requests.listDeep, requests.headers);
  if ((deep.items as unknown[]).length !== LIST_LIMIT) throw new Error('preflight: short deep page');
  const transcript = await getJson(api.url + requests.transcript, requests.headers);
  const turns = (transcript.transcript as { turns: unknown[] }).turns.length;
  if (turns !== dataset.transcript.turns) throw new Error(`preflight: transcript has ${turns} turns`);
  const stranger = await getJson(`${api.url}${ENCOUNTERS_PATH}/${encounterId(0)}`, strangerHeaders(1)[0]!, 401);
  if (stranger.reason_code !== 'invalid_key') throw new Error(`preflight: storm gets ${stranger.reason_code}`);
  return { detail, list, transcript };
}

/**
 * The single-scenario loads of bench/profile.ts and bench/ab.ts against one API server: 16 connections, closed
 * loop. `storm`: random well-formed keys, each from an address of its own; `throttled`: random keys from one
 * address (after its first 21 failures, every request is step 5a's 429).
 */
export function scenarioLoads(api: ServerHandle, dataset: Dataset, seconds: number): Record<string, LoadSpec> {
  const requests = apiRequests(dataset);
  const base = {
    url: api.url,
    connections: 16,
    durationSeconds: seconds,
    headers: requests.headers,
    serverPid: api.pid,
  };
  const storm = cycle(strangerHeaders(50_000));
  return {
    get_encounter: { ...base, next: requests.detail },
    list: { ...base, path: requests.listFirst },
    transcript: { ...base, path: requests.transcript },
    storm: { ...base, expect: [401], next: () => ({ path: requests.detailPath(), headers: storm() }) },
    throttled: {
      ...base,
      expect: [401, 429],
      next: () => ({
        path: requests.detailPath(),
        headers: { authorization: storm().authorization!, 'x-forwarded-for': STORM_ADDRESS },
      }),
    },
  };
}
