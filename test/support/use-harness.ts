/**
 * One harness per `describe` block: started before its first test, closed after its last. The handle returned can be
 * captured anywhere in the block (test bodies, helpers, suite functions): every property read goes to the running
 * harness, so it reads like the harness itself.
 */
import { afterAll, beforeAll } from 'vitest';
import { type Harness, type HarnessOptions, startHarness } from './harness.js';

export function useHarness(options: HarnessOptions = {}): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(options);
  });
  afterAll(() => started?.close());
  return new Proxy({} as Harness, {
    get(_target, property) {
      if (!started) throw new Error('the harness is used outside the tests of its describe block');
      return Reflect.get(started, property);
    },
  });
}
