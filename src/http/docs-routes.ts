/**
 * The reference pages (docs/operations.md): `/docs` (Scalar, from the served OpenAPI document), its bundle, and the
 * error pages. Unauthenticated; every response under `/docs` carries a Content-Security-Policy, and any other
 * `/docs/…` path is the standard 404.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { PublicError } from '../contract/errors.js';
import { errorPagePolicy, NOTHING_POLICY, newNonce, referencePolicy } from '../docs/csp.js';
import { errorCodePage, errorIndexPage, isReasonCode } from '../docs/error-pages.js';
import { REFERENCE_BUNDLE_PATH, referencePage } from '../docs/reference-page.js';
import { sendError } from './send-error.js';

interface Bundle {
  plain: Buffer;
  gzipped: Buffer;
}

/**
 * Scalar's standalone bundle as its Fastify plugin ships it. The plugin's own page takes one nonce for the life of
 * the process and its document routes add CORS headers, so only its bundle route is used, once, on a private
 * instance. Loaded on first use: the 5 MB module is not parsed by processes that never serve `/docs`.
 */
async function loadBundle(): Promise<Bundle> {
  const { default: scalarReference } = await import('@scalar/fastify-api-reference');
  const scratch = Fastify({ logger: false });
  await scratch.register(scalarReference, { routePrefix: '/reference', configuration: { url: '/' } });
  try {
    const response = await scratch.inject('/reference/js/scalar.js');
    if (response.statusCode !== 200) throw new Error(`the Scalar bundle answered ${response.statusCode}`);
    const plain = response.rawPayload;
    return { plain, gzipped: await promisify(gzip)(plain) };
  } finally {
    await scratch.close();
  }
}

function sendHtml(reply: FastifyReply, html: string, policy: string) {
  return reply.header('content-security-policy', policy).type('text/html; charset=utf-8').send(html);
}

export function registerDocsRoutes(app: FastifyInstance): void {
  let bundle: Promise<Bundle> | undefined;

  app.register(async (docs) => {
    docs.addHook('onRequest', async (_request, reply) => {
      reply.header('content-security-policy', NOTHING_POLICY);
    });

    docs.get('/docs', async (_request, reply) => {
      const nonce = newNonce();
      return sendHtml(reply, referencePage(nonce), referencePolicy(nonce));
    });

    docs.get(REFERENCE_BUNDLE_PATH, async (request, reply) => {
      bundle ??= loadBundle();
      const { plain, gzipped } = await bundle.catch((error: unknown) => {
        bundle = undefined;
        throw error;
      });
      reply.header('vary', 'accept-encoding').type('text/javascript; charset=utf-8');
      if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) {
        return reply.header('content-encoding', 'gzip').send(gzipped);
      }
      return reply.send(plain);
    });

    docs.get('/docs/errors', async (_request, reply) => {
      const nonce = newNonce();
      return sendHtml(reply, errorIndexPage(nonce), errorPagePolicy(nonce));
    });

    docs.get('/docs/errors/:reason_code', async (request, reply) => {
      const code = (request.params as { reason_code: string }).reason_code;
      if (!isReasonCode(code)) return sendError(reply, new PublicError('route_not_found'));
      const nonce = newNonce();
      return sendHtml(reply, errorCodePage(code, nonce), errorPagePolicy(nonce));
    });

    docs.get('/docs/*', async (_request, reply) => sendError(reply, new PublicError('route_not_found')));
  });
}
