/**
 * Embedded mode: the same operations as WrenClient, served in-process from a data directory
 * (no HTTP server), acting as the default organization.
 */
import { createWren, type Wren } from '../api/server.js';
import { type ConfigOverrides, loadConfig } from '../config.js';
import {
  RequestValidationError,
  TaskRunRequestSchema,
  zodIssuesToDetail,
} from '../contract/index.js';
import type { EngineRegistry } from '../engines/registry.js';
import { createLogger } from '../log.js';
import { ServiceError } from '../runs/errors.js';
import type { RunsApi } from './client.js';
import { WrenApiError } from './client.js';

export interface EmbeddedOptions extends ConfigOverrides {
  /** Run queued tasks in this process (needed to wait for a result). */
  runWorker?: boolean;
  engines?: EngineRegistry;
}

export class EmbeddedWren implements RunsApi {
  private constructor(
    readonly wren: Wren,
    private readonly organizationId: string,
  ) {}

  static async open(options: EmbeddedOptions = {}): Promise<EmbeddedWren> {
    const config = loadConfig({
      logLevel: 'warn',
      ...options,
      workerEnabled: options.runWorker ?? false,
    });
    const wren = await createWren({
      config,
      logger: createLogger(config.logLevel, process.stderr),
      engines: options.engines,
    });
    await wren.startWorker();
    return new EmbeddedWren(wren, wren.auth.organization.id);
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ServiceError) throw new WrenApiError(error.statusCode, error.message);
      if (error instanceof RequestValidationError) throw new WrenApiError(422, error.detail);
      throw error;
    }
  }

  runTask(request: Parameters<RunsApi['runTask']>[0]) {
    return this.call(async () => {
      const parsed = TaskRunRequestSchema.safeParse(request, { reportInput: true });
      if (!parsed.success)
        throw new WrenApiError(422, zodIssuesToDetail(parsed.error.issues, 'body', request));
      return this.wren.runs.createTaskRun(this.organizationId, parsed.data);
    });
  }

  getRun(runId: string) {
    return this.call(() => this.wren.runs.getRun(this.organizationId, runId));
  }

  listRuns(query: Parameters<RunsApi['listRuns']>[0] = {}) {
    return this.call(() =>
      this.wren.runs.listRuns(this.organizationId, {
        page: query.page ?? 1,
        page_size: query.page_size ?? 10,
        status: query.status,
        search_key: query.search_key,
      }),
    );
  }

  cancelRun(runId: string) {
    return this.call(() => this.wren.runs.cancelRun(this.organizationId, runId));
  }

  close(): Promise<void> {
    return this.wren.close();
  }
}
