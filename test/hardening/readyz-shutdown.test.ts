/** /readyz turns 503 as soon as a graceful shutdown starts, so a load balancer stops routing while it drains. */
import { Agent, request } from 'node:http';
import { expect, it } from 'vitest';
import { startHarness } from '../support/harness.js';

function get(agent: Agent, port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('answers 503 shutting_down on a kept-alive connection while the server drains', async () => {
  const h = await startHarness();
  await h.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.runtime.app.server.address() as { port: number };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    expect(await get(agent, port, '/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', checks: { database: true, digest_keyring: true } },
    });
    const closing = h.close();
    // The drain keeps open connections for a quiet period; the same connection now reports not ready.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await get(agent, port, '/readyz')).toEqual({
      status: 503,
      body: { status: 'shutting_down', checks: { database: true, digest_keyring: true } },
    });
    await closing;
  } finally {
    agent.destroy();
  }
});
