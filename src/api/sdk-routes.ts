/** POST /v1/sdk/run_action (Skyvern's SDK actions; src/runs/sdk-actions.ts executes them). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  RunSdkActionRequestSchema,
  RunSdkActionResponseSchema,
} from '../contract/index.js';
import type { SdkActionService } from '../runs/index.js';

export async function registerSdkRoutes(
  v1: FastifyInstance,
  actions: SdkActionService,
): Promise<void> {
  const routes = v1.withTypeProvider<ZodTypeProvider>();
  const org = (request: FastifyRequest) => (request.organization as { id: string }).id;
  routes.post(
    '/sdk/run_action',
    {
      schema: {
        operationId: 'run_sdk_action',
        summary:
          'Run one AI action (click, input, select, upload, act, extract, locate, validate, prompt) on a live browser',
        tags: ['SDK'],
        security: [{ ApiKeyHeader: [] }],
        body: RunSdkActionRequestSchema,
        response: {
          200: RunSdkActionResponseSchema,
          400: ErrorResponseSchema,
          403: ErrorResponseSchema.describe('Missing or invalid x-api-key'),
          404: ErrorResponseSchema,
          409: ErrorResponseSchema,
          422: HTTPValidationErrorSchema.or(ErrorResponseSchema),
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => actions.runAction(org(request), request.body),
  );
}
