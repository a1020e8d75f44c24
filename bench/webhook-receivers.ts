/** Three loopback webhook receivers for bench/webhooks.ts, in their own process: answer 204, count requests. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const ports: number[] = [];
const counts = [0, 0, 0];
for (let i = 0; i < 3; i++) {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      counts[i]!++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports.push((server.address() as AddressInfo).port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
process.on('message', () => process.send?.({ counts }));
