/**
 * Scale-out tests on the real PostgreSQL: `wren server --role worker` child processes (they log
 * "wren worker started", no HTTP) and `startCluster`, what every cluster test starts and stops.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.js';
import { type FixtureServer, startFixtureServer } from './fixture-server.js';
import { createTestDatabase, type TestDatabase } from './pg-database.js';
import { killHard, ROOT, type ServerProcess, startServerProcess, WREN_BIN } from './process.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** The worker's lease owner id (host:pid:random). */
  id: string;
  output: () => string;
}

export async function startWorkerProcess(
  env: Record<string, string | undefined>,
  timeoutMs = 30_000,
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [WREN_BIN, 'server', '--role', 'worker', '--log-level', 'info'],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), timeoutMs);
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      buffer += d.toString();
      for (const line of buffer.split('\n')) {
        if (!line.includes('"wren worker started"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { worker_id: string }).worker_id);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  return { child, id, output: () => out };
}

/** JSON log lines of a process whose `msg` is `msg`. */
export function logLines(output: string, msg: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

type Env = Record<string, string | undefined>;

/**
 * A throwaway database, the fake model and the fixture site, and the processes and stores a test
 * starts on them: `close` kills the processes, closes the stores and the servers, drops the
 * database and removes the data directories.
 */
export interface Cluster {
  db: TestDatabase;
  fake: FakeModelServer;
  site: FixtureServer;
  /** What every process shares: the fake model, the database, the API key, no recording. */
  env: Env;
  tempDir(): string;
  /** `wren server` with the cluster's env and `env` over it. */
  server(args: string[], env?: Env): Promise<ServerProcess>;
  /** A `--role worker` process with a data directory of its own. */
  worker(env?: Env): Promise<WorkerProcess>;
  /** A store on the cluster's database (open it once a node has migrated the database). */
  store(): Promise<Store>;
  close(): Promise<void>;
}

export async function startCluster(options: {
  apiKey: string;
  dirPrefix: string;
  env?: Env;
}): Promise<Cluster> {
  const [db, fake, site] = await Promise.all([
    createTestDatabase(),
    startFakeModelServer(),
    startFixtureServer(),
  ]);
  const env: Env = {
    ...fake.env('openai/gpt-5-mini'),
    WREN_DATABASE_URL: db.url,
    WREN_API_KEY: options.apiKey,
    WREN_ALLOW_PRIVATE_NETWORKS: 'true',
    WREN_RECORDING: 'false',
    WREN_PORT: undefined,
    WREN_ROLE: undefined,
    ...options.env,
  };
  const dirs: string[] = [];
  const processes: (ServerProcess | WorkerProcess)[] = [];
  const stores: Store[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), options.dirPrefix));
    dirs.push(dir);
    return dir;
  };
  return {
    db,
    fake,
    site,
    env,
    tempDir,
    async server(args, extra = {}) {
      const server = await startServerProcess(args, { ...env, ...extra });
      processes.push(server);
      return server;
    },
    async worker(extra = {}) {
      const worker = await startWorkerProcess({ ...env, WREN_DATA_DIR: tempDir(), ...extra });
      processes.push(worker);
      return worker;
    },
    async store() {
      const store = await openStore({ databaseUrl: db.url });
      stores.push(store);
      return store;
    },
    async close() {
      await Promise.all(processes.map((p) => killHard(p as ServerProcess)));
      for (const store of stores) await store.close();
      await Promise.all([fake.close(), site.close()]);
      await db.drop();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
