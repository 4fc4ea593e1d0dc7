/**
 * Routes for what a run delivers: artifacts (list, content with Range and signed URLs), webhook
 * replay and the webhook delivery log. Registered under /v1 by app.ts. Authorized by x-api-key,
 * except artifact content, which also accepts a valid signed URL.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ArtifactService, ByteRange } from '../artifacts/index.js';
import {
  ArtifactContentQuerySchema,
  ArtifactIdParamsSchema,
  ArtifactSchema,
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  RetryRunWebhookRequestSchema,
  RunArtifactsQuerySchema,
  RunIdParamsSchema,
  RunWebhookDeliveriesSchema,
  RunWebhookReplayResponseSchema,
} from '../contract/index.js';
import { notFound, ServiceError } from '../core/index.js';
import type { RunService, WebhookDispatcher } from '../runs/index.js';
import {
  type ApiKeyAuthenticator,
  apiKeyHeader,
  INVALID_CREDENTIALS,
  requireApiKey,
} from './keys.js';
import { forbidden, org, security } from './v1-routes.js';

export interface ResultsRoutesOptions {
  runs: RunService;
  artifacts: ArtifactService;
  webhooks: WebhookDispatcher;
}

/**
 * One `bytes=` range against a file of `size` bytes: the range to send, 'unsatisfiable' (416),
 * or null to ignore the header and send everything (absent, malformed or several ranges).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (to !== '' && Number(to) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function contentDisposition(filename: string | null): string {
  if (!filename) return 'inline';
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/[\\"]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function resultsRoutes(auth: ApiKeyAuthenticator, options: ResultsRoutesOptions) {
  const { runs, artifacts, webhooks } = options;
  return async (app: FastifyInstance): Promise<void> => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

    const requireOrg = requireApiKey(auth);
    const requireRun = async (request: FastifyRequest, runId: string) => {
      if (!(await runs.hasRun(org(request), runId))) throw notFound(`Run not found ${runId}`);
    };

    routes.get(
      '/runs/:run_id/artifacts',
      {
        onRequest: requireOrg,
        schema: {
          operationId: 'get_run_artifacts',
          summary: 'List the artifacts of a run (oldest first), with signed URLs',
          tags: ['Artifacts'],
          security,
          params: RunIdParamsSchema,
          querystring: RunArtifactsQuerySchema,
          response: {
            200: ArtifactSchema.array(),
            403: forbidden,
            404: ErrorResponseSchema,
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request) => {
        const runId = request.params.run_id;
        await requireRun(request, runId);
        const filter = request.query.artifact_type;
        const types = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
        return artifacts.listForRun(runId, types);
      },
    );

    routes.get(
      '/artifacts/:artifact_id/content',
      {
        schema: {
          operationId: 'get_artifact_content',
          summary: 'Download an artifact (Range supported); x-api-key or a signed URL',
          tags: ['Artifacts'],
          params: ArtifactIdParamsSchema,
          querystring: ArtifactContentQuerySchema,
          // Every status the handler answers (issue 17; test/integration/api/openapi-statuses.test.ts).
          response: {
            200: z.unknown().describe('The artifact bytes, with its content type'),
            206: z.unknown().describe('The requested byte range (Range header)'),
            403: ErrorResponseSchema.describe(
              'Missing or invalid x-api-key, or an expired or invalid signed URL',
            ),
            404: ErrorResponseSchema.describe('No such artifact in this organization'),
            410: ErrorResponseSchema.describe(
              'The artifact expired (retention) and its bytes are gone',
            ),
            416: ErrorResponseSchema.describe('The Range is outside the artifact'),
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request, reply) => {
        const { artifact_id: artifactId } = request.params;
        const { sig, expiry, kid } = request.query;
        let organizationId: string | undefined;
        if (sig !== undefined || expiry !== undefined) {
          const verdict = artifacts.signer.check(artifactId, { sig, expiry, kid });
          if (verdict !== 'ok') {
            return reply.code(403).send({
              detail:
                verdict === 'expired' ? 'Signed URL has expired' : 'Invalid signed URL signature',
            });
          }
        } else {
          const organization = await auth.authenticate(apiKeyHeader(request));
          if (!organization) return reply.code(403).send(INVALID_CREDENTIALS);
          organizationId = organization.id;
        }
        const record = await artifacts.get(artifactId, organizationId);
        if (!record) throw notFound(`Artifact not found ${artifactId}`);
        const size = (await artifacts.storage.size(record.storageKey)) ?? null;
        if (size === null) throw new ServiceError(410, `Artifact content is gone ${artifactId}`);
        reply
          .header('accept-ranges', 'bytes')
          .header('content-type', record.contentType)
          .header('content-disposition', contentDisposition(record.filename))
          .header('x-content-type-options', 'nosniff')
          // Artifacts can be captured HTML: never let it run as this origin.
          .header('content-security-policy', "sandbox; default-src 'none'")
          .header('etag', `"${record.checksum}"`)
          .header('cache-control', 'private, max-age=300');
        const range = parseRange(request.headers.range, size);
        if (range === 'unsatisfiable') {
          return reply
            .code(416)
            .header('content-range', `bytes */${size}`)
            .type('application/json')
            .send(JSON.stringify({ detail: `Range not satisfiable (artifact is ${size} bytes)` }));
        }
        if (range) {
          reply
            .code(206)
            .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
            .header('content-length', String(range.end - range.start + 1));
          return reply.send(artifacts.read(record, range));
        }
        reply.header('content-length', String(size));
        return reply.send(artifacts.read(record));
      },
    );

    routes.post(
      '/runs/:run_id/retry_webhook',
      {
        onRequest: requireOrg,
        schema: {
          operationId: 'retry_run_webhook',
          summary: 'Send the run webhook again now and report what the receiver answered',
          tags: ['Runs'],
          security,
          params: RunIdParamsSchema,
          body: RetryRunWebhookRequestSchema,
          response: {
            200: RunWebhookReplayResponseSchema,
            400: ErrorResponseSchema,
            403: forbidden,
            404: ErrorResponseSchema,
            422: HTTPValidationErrorSchema,
          },
        },
      },
      async (request) =>
        webhooks.replay(
          org(request),
          request.params.run_id,
          apiKeyHeader(request) as string,
          request.body?.webhook_url ?? null,
        ),
    );

    routes.get(
      '/runs/:run_id/webhook_deliveries',
      {
        onRequest: requireOrg,
        schema: {
          operationId: 'get_run_webhook_deliveries',
          summary: 'Webhook deliveries of a run and every attempt (Wren extension)',
          tags: ['Runs'],
          security,
          params: RunIdParamsSchema,
          response: { 200: RunWebhookDeliveriesSchema, 403: forbidden, 404: ErrorResponseSchema },
        },
      },
      async (request) => webhooks.deliveries(org(request), request.params.run_id),
    );
  };
}
