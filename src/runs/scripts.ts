/**
 * Code mode's run side (docs/code-mode.md): which runs replay a script (`run_with: "code"`, or the
 * server default WREN_RUN_WITH=code), finding the script for a task by its signature, compiling a
 * completed agent run into a script (revision 1, or the next revision of the script with the same
 * signature), writing a healed replay's revision, and the scripts API's queries.
 */
import { ENGINE_NAMES, newId, ServiceError } from '../core/index.js';
import type { RecordedRun, ReplayResult } from '../engines/index.js';
import {
  compileScript,
  matchTemplate,
  renderScript,
  type ScriptBody,
  schemaHash,
  signatureOf,
  urlPattern,
  withHealedSteps,
} from '../scripts/index.js';
import type { RunRecord, ScriptRecord, ScriptRevisionRecord, Store } from '../store/index.js';
import { now } from './service.js';

export type RunWith = 'agent' | 'code';

/** Engines whose runs compile into scripts. */
export const SCRIPT_ENGINES: readonly string[] = ENGINE_NAMES;

/** `run_with` of a request, else the server default. */
export function runWithOf(run: RunRecord, fallback: RunWith): RunWith {
  const v = run.request.run_with;
  if (!v?.trim()) return fallback;
  return v.trim().toLowerCase() === 'code' ? 'code' : 'agent';
}

export interface FoundScript {
  script: ScriptRecord;
  revision: ScriptRevisionRecord;
  body: ScriptBody;
  params: Record<string, string>;
}

export class ScriptService {
  constructor(private readonly store: Store) {}

  /** The script for this run's task, with its parameter values; null when there is none. */
  async find(run: RunRecord, credentialUsername: string | null): Promise<FoundScript | null> {
    if (!SCRIPT_ENGINES.includes(run.engine)) return null;
    const url = run.request.url ?? null;
    const scripts = this.store.scripts;
    const candidates = await scripts.candidates(run.organizationId, {
      engine: run.engine,
      urlPattern: urlPattern(url),
      schemaHash: schemaHash(run.request.data_extraction_schema ?? null),
    });
    for (const script of candidates) {
      const fromPrompt = matchTemplate(script.promptTemplate, run.prompt);
      if (!fromPrompt) continue;
      const revision = await scripts.revision(
        run.organizationId,
        script.id,
        script.pinnedRevision ?? script.latestRevision,
      );
      if (!revision) continue;
      const body = revision.body as ScriptBody;
      const params = { ...fromPrompt };
      let complete = true;
      for (const p of body.parameters) {
        if (p.secret) continue;
        if (p.source === 'credential') {
          if (credentialUsername === null) complete = false;
          else params[p.name] = credentialUsername;
        } else if (p.name in params) continue;
        else if (p.source === 'default' && p.example !== null) params[p.name] = p.example;
        else complete = false;
      }
      if (complete) return { script, revision, body, params };
    }
    return null;
  }

  /** A completed recorded run as a script: revision 1, or the next one of its signature's script. */
  async compile(
    run: RunRecord,
    recorded: RecordedRun,
    output: unknown,
    credentialUsername: string | null,
  ): Promise<{ script: ScriptRecord; revision: ScriptRevisionRecord } | { reason: string }> {
    const compiled = compileScript({
      engine: run.engine,
      prompt: run.prompt,
      startUrl: run.request.url ?? null,
      schema: run.request.data_extraction_schema ?? null,
      output,
      trajectory: recorded.trajectory,
      finalUrl: recorded.finalUrl,
      extraction: recorded.extraction,
      ...(recorded.extractionNote ? { extractionNote: recorded.extractionNote } : {}),
      credentialUsername,
    });
    if (!compiled.ok) return { reason: compiled.reason };
    const signature = signatureOf(compiled.signature);
    const at = now();
    const scripts = this.store.scripts;
    const existing = await scripts.bySignature(run.organizationId, signature);
    const revisionOf = (scriptId: string, revision: number): ScriptRevisionRecord => ({
      id: newId('sr'),
      scriptId,
      organizationId: run.organizationId,
      revision,
      body: compiled.body,
      source: renderScript(compiled.body, {
        scriptId,
        revision,
        runId: run.id,
        promptTemplate: compiled.signature.promptTemplate,
      }),
      runId: run.id,
      createdAt: at,
    });
    if (existing) {
      const revision = await scripts.addRevision(
        run.organizationId,
        existing.id,
        (n) => revisionOf(existing.id, n),
        at,
      );
      if (revision) return { script: existing, revision };
    }
    const script: ScriptRecord = {
      id: newId('s'),
      organizationId: run.organizationId,
      signature,
      engine: run.engine,
      promptTemplate: compiled.signature.promptTemplate,
      urlPattern: compiled.signature.urlPattern,
      schemaHash: compiled.signature.schemaHash,
      latestRevision: 1,
      pinnedRevision: null,
      replays: 0,
      hits: 0,
      heals: 0,
      failures: 0,
      createdAt: at,
      modifiedAt: at,
      deletedAt: null,
    };
    const revision = revisionOf(script.id, 1);
    await scripts.insert(script, revision);
    return { script, revision };
  }

  /**
   * After a replay: counts it, and when it completed after healing writes the next revision with
   * the healed selectors (the run that healed is its source).
   */
  async afterReplay(
    run: RunRecord,
    found: FoundScript,
    result: ReplayResult,
  ): Promise<ScriptRevisionRecord | null> {
    const completed = result.outcome.status === 'completed';
    const healed = result.healed.size > 0 || result.healedOutput !== undefined;
    const scripts = this.store.scripts;
    await scripts.countReplay(found.script.id, {
      hit: completed && !result.aiFallback,
      healed: completed && healed,
      failed: !completed,
    });
    if (!completed || !healed) return null;
    const body = withHealedSteps(found.body, result.healed, result.healedOutput);
    return scripts.addRevision(
      run.organizationId,
      found.script.id,
      (revision) => ({
        id: newId('sr'),
        scriptId: found.script.id,
        organizationId: run.organizationId,
        body,
        source: renderScript(body, {
          scriptId: found.script.id,
          revision,
          runId: run.id,
          promptTemplate: found.script.promptTemplate,
        }),
        runId: run.id,
        createdAt: now(),
      }),
      now(),
    );
  }

  // --- the scripts API (src/api/scripts-routes.ts) ---

  list(organizationId: string, limit: number, offset: number): Promise<ScriptRecord[]> {
    return this.store.scripts.list(organizationId, limit, offset);
  }

  async get(organizationId: string, id: string): Promise<ScriptRecord> {
    const script = await this.store.scripts.get(organizationId, id);
    if (!script) throw new ServiceError(404, `Script not found ${id}`);
    return script;
  }

  async revisions(organizationId: string, id: string): Promise<ScriptRevisionRecord[]> {
    await this.get(organizationId, id);
    return this.store.scripts.revisions(organizationId, id);
  }

  async revision(
    organizationId: string,
    id: string,
    revision: number,
  ): Promise<ScriptRevisionRecord> {
    await this.get(organizationId, id);
    const r = await this.store.scripts.revision(organizationId, id, revision);
    if (!r) throw new ServiceError(404, `revision: script ${id} has no revision ${revision}`);
    return r;
  }

  async delete(organizationId: string, id: string): Promise<void> {
    if (!(await this.store.scripts.delete(organizationId, id, now())))
      throw new ServiceError(404, `Script not found ${id}`);
  }

  /** Pins a revision (replays use it instead of the latest); null unpins. */
  async pin(organizationId: string, id: string, revision: number | null): Promise<ScriptRecord> {
    if (revision !== null) await this.revision(organizationId, id, revision);
    await this.get(organizationId, id);
    await this.store.scripts.pin(organizationId, id, revision, now());
    return this.get(organizationId, id);
  }

  async forRunId(organizationId: string, runId: string) {
    const run = await this.store.runs.get(organizationId, runId);
    if (!run) throw new ServiceError(404, `Run not found ${runId}`);
    return this.forRun(run);
  }

  /** A script in the API's shape. */
  present(s: ScriptRecord) {
    return {
      script_id: s.id,
      engine: s.engine,
      prompt_template: s.promptTemplate,
      url_pattern: s.urlPattern,
      schema_hash: s.schemaHash,
      latest_revision: s.latestRevision,
      pinned_revision: s.pinnedRevision,
      replays: s.replays,
      hits: s.hits,
      heals: s.heals,
      failures: s.failures,
      created_at: s.createdAt,
      modified_at: s.modifiedAt,
    };
  }

  /** A revision in the API's shape. */
  presentRevision(r: ScriptRevisionRecord) {
    const body = r.body as ScriptBody;
    return {
      script_id: r.scriptId,
      script_revision_id: r.id,
      revision: r.revision,
      run_id: r.runId,
      created_at: r.createdAt,
      parameters: body.parameters.map((p) => ({
        name: p.name,
        example: p.example,
        secret: p.secret,
      })),
      steps: body.steps as unknown as Record<string, unknown>[],
      source: r.source,
    };
  }

  /** The script of a run: the revision it compiled or healed, else the one it replayed. */
  async forRun(run: RunRecord): Promise<{ script: ScriptRecord; revision: ScriptRevisionRecord }> {
    const scripts = this.store.scripts;
    let revision = await scripts.revisionOfRun(run.organizationId, run.id);
    if (!revision && run.scriptRun?.script_revision_id)
      revision = await scripts.revisionById(run.organizationId, run.scriptRun.script_revision_id);
    const script = revision ? await scripts.get(run.organizationId, revision.scriptId) : null;
    if (!revision || !script)
      throw new ServiceError(
        404,
        `Run ${run.id} has no script: scripts are compiled from completed runs of the skyvern and computer-use engines with run_with "code" (docs/code-mode.md)`,
      );
    return { script, revision };
  }
}
