/** What bench/run.ts and bench/server-process.ts say to each other over the IPC channel. */

export interface BareBodies {
  encounter: unknown;
  list: unknown;
  transcript: unknown;
}

export type ParentMessage =
  | { type: 'bodies'; bodies: BareBodies }
  | { type: 'verification'; mode: 'real' | 'bypass' }
  | { type: 'memory' }
  /** A full garbage collection first (the server runs with --expose-gc), then the usage: what the heap retains. */
  | { type: 'retained-memory' }
  | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'memory'; usage: NodeJS.MemoryUsage }
  | { type: 'ack' };

export const BARE_PATHS = { encounter: '/bare/encounter', list: '/bare/list', transcript: '/bare/transcript' } as const;
