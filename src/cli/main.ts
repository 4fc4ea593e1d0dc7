/**
 * `wren` command line: the server, task submission (to a server or embedded), run management and
 * API keys. Results go to stdout as JSON; progress and logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
// Only light modules load up front; the server, store and embedded mode load when a command needs
// them, so `wren --help` and remote commands start fast.
import {
  type RunStatus,
  type RunsApi,
  type TaskRunResponse,
  WrenApiError,
  WrenClient,
  waitForCompletion,
} from '../sdk/index.js';
import { type OperatorOptions, withOperator } from './operator.js';

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

function integer(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

interface TargetOptions {
  server?: string;
  apiKey?: string;
  dataDir?: string;
}

function targetOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--server <url>', 'Wren server URL; without it, work embedded on --data-dir').env(
        'WREN_SERVER_URL',
      ),
    )
    .addOption(new Option('--api-key <key>', 'API key for --server').env('WREN_API_KEY'))
    .option(
      '--data-dir <dir>',
      'data directory for embedded mode (default ./.wren or WREN_DATA_DIR)',
    );
}

async function connect(options: TargetOptions, runWorker = false): Promise<RunsApi> {
  if (options.server) {
    if (!options.apiKey) throw new ConfigError('--server needs --api-key (or WREN_API_KEY)');
    return new WrenClient({ baseUrl: options.server, apiKey: options.apiKey });
  }
  const { EmbeddedWren } = await import('../sdk/embedded.js');
  return EmbeddedWren.open({ dataDir: options.dataDir, runWorker });
}

async function withApi<T>(
  options: TargetOptions,
  work: (api: RunsApi) => Promise<T>,
  runWorker = false,
): Promise<T> {
  const api = await connect(options, runWorker);
  try {
    return await work(api);
  } finally {
    await api.close();
  }
}

function progressReporter(): { update(run: TaskRunResponse): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    update(run) {
      const line = `${run.run_id}  ${run.status}  steps: ${run.step_count ?? 0}`;
      if (line === last) return;
      last = line;
      process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
    },
    done() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

function quotaValue(name: string, value: string): number | null {
  if (value === 'default') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${name} must be a whole number ≥ 0 or "default", got "${value}"`);
  return n;
}

/** --data-dir for the database mode, or --server and an admin key for the admin API. */
function operatorOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (default ./.wren or WREN_DATA_DIR)')
    .option('--server <url>', "a running server's URL: act through its admin API instead")
    .addOption(new Option('--api-key <key>', 'an admin key for --server').env('WREN_API_KEY'));
}

function buildProgram(): Command {
  const program = new Command('wren')
    .description('Runs browser tasks with an AI agent (Skyvern Run Task API compatible).')
    .showHelpAfterError();

  program
    .command('server')
    .description('start the HTTP API and the worker')
    .option('--port <port>', 'port to listen on (default 8000 or WREN_PORT)', integer('--port'))
    .option('--host <host>', 'address to bind (default 127.0.0.1 or WREN_HOST)')
    .option('--data-dir <dir>', 'data directory (default ./.wren or WREN_DATA_DIR)')
    .option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent (default info)',
    )
    .option('--no-worker', 'accept and queue runs without executing them')
    .option(
      '--role <role>',
      'all (default), api (HTTP only) or worker (executes runs, no HTTP); or WREN_ROLE',
    )
    .action(
      async (opts: {
        port?: number;
        host?: string;
        dataDir?: string;
        logLevel?: string;
        worker: boolean;
        role?: string;
      }) => {
        const config = loadConfig({
          port: opts.port,
          host: opts.host,
          dataDir: opts.dataDir,
          logLevel: opts.logLevel,
          workerEnabled: opts.worker === false ? false : undefined,
          role: opts.role,
        });
        const [{ createWren }, { createLogger }] = await Promise.all([
          import('../app/index.js'),
          import('../log.js'),
        ]);
        const logger = createLogger(config.logLevel);
        const wren = await createWren({ config, logger });
        if (wren.auth.generatedKey) {
          process.stdout.write(
            `\nCreated an API key for the default organization. It is shown only once here and saved to ${wren.auth.keyFile}:\n\n  ${wren.auth.generatedKey}\n\nSend it as the x-api-key header.\n\n`,
          );
        }
        if (!wren.model.ok) logger.warn(wren.model.problem);
        const shutdown = async (signal: string) => {
          logger.info({ signal }, 'shutting down');
          await wren.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void shutdown('SIGINT'));
        process.once('SIGTERM', () => void shutdown('SIGTERM'));
        await wren.listen();
      },
    );

  const run = program.command('run').description('start runs');
  targetOptions(
    run
      .command('task')
      .description('run a task; prints the run as JSON')
      .requiredOption('--prompt <text>', 'the goal, in plain words')
      .option('--url <url>', 'starting URL')
      .option('--schema <file>', 'JSON Schema file for the data to extract')
      .option(
        '--engine <engine>',
        'skyvern-1.0, skyvern-2.0 (default), openai-cua, anthropic-cua or ui-tars',
      )
      .option('--title <title>', 'display title')
      .option('--max-steps <n>', 'step budget', integer('--max-steps'))
      .option('--webhook-url <url>', 'called when the run finishes')
      .option('--wait', 'wait for the run to finish, showing status and step count'),
  ).action(
    async (
      opts: TargetOptions & {
        prompt: string;
        url?: string;
        schema?: string;
        engine?: string;
        title?: string;
        maxSteps?: number;
        webhookUrl?: string;
        wait?: boolean;
      },
    ) => {
      let schema: unknown;
      if (opts.schema) {
        try {
          schema = JSON.parse(readFileSync(opts.schema, 'utf8'));
        } catch (error) {
          throw new ConfigError(
            `--schema ${opts.schema}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      const request = {
        prompt: opts.prompt,
        url: opts.url,
        engine: opts.engine as never,
        title: opts.title,
        max_steps: opts.maxSteps,
        webhook_url: opts.webhookUrl,
        data_extraction_schema: schema as Record<string, unknown> | undefined,
      };
      const result = await withApi(
        opts,
        async (api) => {
          const created = await api.runTask(request);
          if (!opts.wait) return created;
          const progress = progressReporter();
          try {
            return await waitForCompletion(api, created.run_id, {
              intervalMs: opts.server ? 1000 : 200,
              onProgress: progress.update,
            });
          } finally {
            progress.done();
          }
        },
        opts.wait === true,
      );
      print(result);
      if (!opts.server && !opts.wait) {
        process.stderr.write(
          `Queued in the data directory; it runs when \`wren server\` starts there (or use --wait).\n`,
        );
      }
      if (opts.wait && result.status !== 'completed') process.exitCode = 1;
    },
  );

  const runs = program.command('runs').description('inspect and cancel runs');
  targetOptions(runs.command('get').description('show a run').argument('<run_id>')).action(
    async (runId: string, opts: TargetOptions) => {
      print(await withApi(opts, (api) => api.getRun(runId)));
    },
  );
  targetOptions(
    runs
      .command('list')
      .description('list runs, newest first')
      .option('--status <status...>', 'only runs in these statuses')
      .option('--page <n>', 'page number (1-100)', integer('--page'))
      .option('--page-size <n>', 'runs per page (1-100)', integer('--page-size'))
      .option('--search <text>', 'substring of run id, title or prompt (3+ characters)'),
  ).action(
    async (
      opts: TargetOptions & {
        status?: string[];
        page?: number;
        pageSize?: number;
        search?: string;
      },
    ) => {
      print(
        await withApi(opts, (api) =>
          api.listRuns({
            status: opts.status as RunStatus[] | undefined,
            page: opts.page,
            page_size: opts.pageSize,
            search_key: opts.search,
          }),
        ),
      );
    },
  );
  targetOptions(
    runs.command('cancel').description('cancel a queued or running run').argument('<run_id>'),
  ).action(async (runId: string, opts: TargetOptions) => {
    await withApi(opts, (api) => api.cancelRun(runId));
    process.stderr.write(`canceled ${runId}\n`);
  });

  const script = program.command('script').description('compiled scripts (docs/code-mode.md)');
  targetOptions(
    script
      .command('run')
      .description('run a compiled script (GET /v1/runs/{run_id}/script) on a new browser session')
      .argument('<file>', 'the script, .ts')
      .option(
        '--param <name=value>',
        'a parameter value (repeatable)',
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      )
      .option('--start-url <url>', 'start here instead of the recorded start URL'),
  ).action(async (file: string, opts: TargetOptions & { param: string[]; startUrl?: string }) => {
    const { parseParams, runScriptFile } = await import('./script-run.js');
    const result = await runScriptFile(file, {
      params: parseParams(opts.param),
      ...(opts.startUrl ? { startUrl: opts.startUrl } : {}),
      ...(opts.server ? { server: opts.server } : {}),
      ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    });
    for (const h of result.healed)
      process.stderr.write(`healed: ${h.intention}: ${h.selector} → ${h.located}\n`);
    print(result.output);
  });

  program
    .command('mcp')
    .description(
      'MCP server on stdin/stdout for Claude Desktop, Cursor, VS Code (docs/mcp.md): relays to --server, else embedded',
    )
    .addOption(
      new Option('--server <url>', 'Wren server URL (its /mcp endpoint); default: embedded').env(
        'WREN_BASE_URL',
      ),
    )
    .addOption(new Option('--api-key <key>', 'API key for --server').env('WREN_API_KEY'))
    .option('--data-dir <dir>', 'data directory when embedded (default ./.wren or WREN_DATA_DIR)')
    .action(async (opts: TargetOptions) => {
      const server = opts.server ?? process.env['WREN_SERVER_URL'];
      const mcp = await import('../mcp/index.js');
      if (server) {
        if (!opts.apiKey)
          throw new ConfigError('wren mcp --server needs --api-key (or WREN_API_KEY)');
        await mcp.relayStdioToHttp({ baseUrl: server, apiKey: opts.apiKey });
        return;
      }
      // Embedded: logs go to stderr (stdout carries the protocol).
      const { EmbeddedWren } = await import('../sdk/embedded.js');
      const embedded = await EmbeddedWren.open({ dataDir: opts.dataDir, runWorker: true });
      try {
        const { version } = await embedded.getVersion();
        await mcp.serveStdio(embedded.mcpBackend(), { version: version ?? '0.0.0' });
      } finally {
        await embedded.close();
      }
    });

  // Organizations and keys work on the data directory (or WREN_DATABASE_URL) directly: whoever
  // runs them has the database, so they act as the operator (docs/security.md). With --server
  // they go through that server's admin API with an admin key instead (src/cli/operator.ts).
  const keys = program
    .command('keys')
    .description('API keys (on the database directly, or --server with an admin key)');
  operatorOptions(keys.command('create'))
    .description('create an API key and print it (once)')
    .option('--org <org>', 'organization id or name (default: the default organization)')
    .option('--label <label>', 'a note to tell keys apart')
    .option('--admin', 'an admin key: may create organizations and mint or revoke keys')
    .action(async (opts: OperatorOptions & { org?: string; label?: string; admin?: boolean }) => {
      await withOperator(opts, async (op) => {
        const key = await op.createKey(opts.org, {
          label: opts.label ?? null,
          admin: opts.admin === true,
        });
        process.stdout.write(`${key}\n`);
      });
    });
  operatorOptions(keys.command('list'))
    .description("list an organization's keys (prefixes only) as JSON")
    .option('--org <org>', 'organization id or name (default: the default organization)')
    .action(async (opts: OperatorOptions & { org?: string }) => {
      await withOperator(opts, async (op) => print(await op.listKeys(opts.org)));
    });
  operatorOptions(keys.command('revoke'))
    .description('revoke a key at once (every server sharing the database refuses it)')
    .argument('<key_id>', 'the id from `wren keys list` (key_…)')
    .action(async (keyId: string, opts: OperatorOptions) => {
      await withOperator(opts, async (op) => print(await op.revokeKey(keyId)));
    });
  operatorOptions(keys.command('rotate'))
    .description('replace a key with a new one (printed once) and revoke the old one')
    .argument('<key_id>', 'the id from `wren keys list` (key_…)')
    .action(async (keyId: string, opts: OperatorOptions) => {
      await withOperator(opts, async (op) => print(await op.rotateKey(keyId)));
    });

  const orgs = program
    .command('orgs')
    .description('organizations (on the database directly, or --server with an admin key)');
  operatorOptions(orgs.command('create'))
    .description('create an organization and its first key; prints both as JSON (the key once)')
    .argument('<name>', 'a unique name')
    .option('--max-browser-sessions <n>', 'quota override', integer('--max-browser-sessions'))
    .option('--max-active-runs <n>', 'quota override', integer('--max-active-runs'))
    .option('--admin-key', 'make the first key an admin key')
    .action(
      async (
        name: string,
        opts: OperatorOptions & {
          maxBrowserSessions?: number;
          maxActiveRuns?: number;
          adminKey?: boolean;
        },
      ) => {
        await withOperator(opts, async (op) =>
          print(
            await op.createOrganization({
              name,
              maxBrowserSessions: opts.maxBrowserSessions ?? null,
              maxActiveRuns: opts.maxActiveRuns ?? null,
              admin: opts.adminKey === true,
            }),
          ),
        );
      },
    );
  operatorOptions(orgs.command('list'))
    .description('list organizations and their quotas as JSON')
    .action(async (opts: OperatorOptions) => {
      await withOperator(opts, async (op) => print(await op.organizations()));
    });
  operatorOptions(orgs.command('set'))
    .description('set an organization\'s quota overrides ("default" restores the server default)')
    .argument('<org>', 'organization id or name')
    .option('--max-browser-sessions <n>', 'concurrent browser sessions, or "default"')
    .option('--max-active-runs <n>', 'unfinished runs at once, or "default"')
    .action(
      async (
        org: string,
        opts: OperatorOptions & { maxBrowserSessions?: string; maxActiveRuns?: string },
      ) => {
        await withOperator(opts, async (op) =>
          print(
            await op.setQuotas(org, {
              ...(opts.maxBrowserSessions !== undefined
                ? {
                    maxBrowserSessions: quotaValue(
                      '--max-browser-sessions',
                      opts.maxBrowserSessions,
                    ),
                  }
                : {}),
              ...(opts.maxActiveRuns !== undefined
                ? { maxActiveRuns: quotaValue('--max-active-runs', opts.maxActiveRuns) }
                : {}),
            }),
          ),
        );
      },
    );

  return program;
}

function reportError(error: unknown): void {
  if (error instanceof WrenApiError) {
    const lines = Array.isArray(error.detail)
      ? error.detail.map((d: { msg?: unknown }) => String(d.msg))
      : [error.message];
    process.stderr.write(`error (HTTP ${error.status}): ${lines.join('\n  ')}\n`);
  } else if (error instanceof ConfigError) {
    process.stderr.write(`error: ${error.message}\n`);
  } else if (
    error instanceof Error &&
    'cause' in error &&
    (error as { code?: string }).code === undefined &&
    error.message === 'fetch failed'
  ) {
    process.stderr.write(
      `error: could not reach the server (${String((error.cause as Error | undefined)?.message ?? error.cause)})\n`,
    );
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exitCode = 1;
}

buildProgram().parseAsync(process.argv).catch(reportError);
