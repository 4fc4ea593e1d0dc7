/**
 * Code mode's routes (docs/code-mode.md): GET /v1/runs/{run_id}/script, and /v1/scripts to list,
 * read, delete and pin scripts and their revisions. The rules live in src/runs/scripts.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ErrorResponseSchema,
  HTTPValidationErrorSchema,
  ListScriptsQuerySchema,
  PinScriptRequestSchema,
  RunIdParamsSchema,
  ScriptParamsSchema,
  ScriptRevisionParamsSchema,
  ScriptRevisionSchema,
  ScriptSchema,
} from '../contract/index.js';
import type { ScriptService } from '../runs/index.js';
import { forbidden, org, security } from './v1-routes.js';

export async function registerScriptRoutes(
  v1: FastifyInstance,
  scripts: ScriptService,
): Promise<void> {
  const routes = v1.withTypeProvider<ZodTypeProvider>();
  const tags = ['Scripts'];
  const errors = { 403: forbidden, 404: ErrorResponseSchema, 422: HTTPValidationErrorSchema };

  routes.get(
    '/runs/:run_id/script',
    {
      schema: {
        operationId: 'get_run_script',
        summary: 'The script compiled (or healed) from a run, or the one it replayed',
        tags,
        security,
        params: RunIdParamsSchema,
        response: { 200: ScriptRevisionSchema, ...errors },
      },
    },
    async (request) => {
      const { revision } = await scripts.forRunId(org(request), request.params.run_id);
      return scripts.presentRevision(revision);
    },
  );

  routes.get(
    '/scripts',
    {
      schema: {
        operationId: 'list_scripts',
        summary: 'List scripts, newest first, with their replay, hit and heal counts',
        tags,
        security,
        querystring: ListScriptsQuerySchema,
        response: { 200: z.array(ScriptSchema), ...errors },
      },
    },
    async (request) => {
      const { page, page_size } = request.query;
      const list = await scripts.list(org(request), page_size, (page - 1) * page_size);
      return list.map((s) => scripts.present(s));
    },
  );

  routes.get(
    '/scripts/:script_id',
    {
      schema: {
        operationId: 'get_script',
        summary: 'Get a script',
        tags,
        security,
        params: ScriptParamsSchema,
        response: { 200: ScriptSchema, ...errors },
      },
    },
    async (request) => scripts.present(await scripts.get(org(request), request.params.script_id)),
  );

  routes.delete(
    '/scripts/:script_id',
    {
      schema: {
        operationId: 'delete_script',
        summary: 'Delete a script (runs with run_with "code" then start from the agent again)',
        tags,
        security,
        params: ScriptParamsSchema,
        response: { 200: z.object({ script_id: z.string(), deleted: z.literal(true) }), ...errors },
      },
    },
    async (request) => {
      await scripts.delete(org(request), request.params.script_id);
      return { script_id: request.params.script_id, deleted: true as const };
    },
  );

  routes.get(
    '/scripts/:script_id/revisions',
    {
      schema: {
        operationId: 'list_script_revisions',
        summary: "A script's revisions, newest first",
        tags,
        security,
        params: ScriptParamsSchema,
        response: { 200: z.array(ScriptRevisionSchema), ...errors },
      },
    },
    async (request) =>
      (await scripts.revisions(org(request), request.params.script_id)).map((r) =>
        scripts.presentRevision(r),
      ),
  );

  routes.get(
    '/scripts/:script_id/revisions/:revision',
    {
      schema: {
        operationId: 'get_script_revision',
        summary: 'One revision of a script, with its TypeScript source',
        tags,
        security,
        params: ScriptRevisionParamsSchema,
        response: { 200: ScriptRevisionSchema, ...errors },
      },
    },
    async (request) =>
      scripts.presentRevision(
        await scripts.revision(org(request), request.params.script_id, request.params.revision),
      ),
  );

  routes.post(
    '/scripts/:script_id/pin',
    {
      schema: {
        operationId: 'pin_script_revision',
        summary: 'Pin the revision replays use ({"revision": null} unpins: the latest is used)',
        tags,
        security,
        params: ScriptParamsSchema,
        body: PinScriptRequestSchema,
        response: { 200: ScriptSchema, ...errors },
      },
    },
    async (request) =>
      scripts.present(
        await scripts.pin(org(request), request.params.script_id, request.body.revision),
      ),
  );
}
