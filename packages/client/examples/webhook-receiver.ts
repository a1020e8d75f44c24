/**
 * A webhook receiver that verifies every request with the SDK before trusting it.
 *
 *   CHARTHERO_WEBHOOK_SECRET=whsec_… PORT=3000 npx tsx packages/client/examples/webhook-receiver.ts
 *
 * Prints one line per verified event and answers 204; refuses anything else with 400 and the reason. Several
 * secrets (during a rotation) go comma-separated in CHARTHERO_WEBHOOK_SECRET. In your own code, import from
 * '@charthero/client' instead of '../src/index.js'.
 */
import { createServer } from 'node:http';
import { verifyWebhook, WebhookVerificationError } from '../src/index.js';

const secrets = (process.env.CHARTHERO_WEBHOOK_SECRET ?? '').split(',').filter(Boolean);
if (secrets.length === 0) throw new Error('set CHARTHERO_WEBHOOK_SECRET to the whsec_… secret `webhook add` printed');
const seen = new Set<string>(); // Use a durable store in production: delivery is at least once.

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      const event = verifyWebhook(Buffer.concat(chunks), request.headers, secrets);
      const duplicate = seen.has(event.id);
      seen.add(event.id);
      process.stdout.write(
        `${event.type} ${event.id} ${event.resources.encounter_id}/${event.resources.document_id}` +
          ` occurred_at=${event.occurred_at} delivery=${request.headers['charthero-delivery-id']}` +
          `${duplicate ? ' (duplicate, ignored)' : ''}\n`,
      );
      // Answer first (within 10 s), then fetch the transcript with ChartHeroClient.documents.getTranscript(...).
      response.writeHead(204).end();
    } catch (error) {
      if (!(error instanceof WebhookVerificationError)) throw error;
      process.stdout.write(`refused: ${error.reason}\n`);
      response.writeHead(400, { 'content-type': 'text/plain' }).end(error.reason);
    }
  });
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${process.env.PORT ?? 3000}/webhooks\n`);
});
