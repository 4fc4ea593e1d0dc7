import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  killHard,
  ROOT,
  runCli,
  type ServerProcess,
  startServerProcess,
  WREN_BIN,
} from '../../support/process.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-cli-'));
const env = {
  WREN_MODEL: '',
  WREN_API_KEY: undefined,
  WREN_SERVER_URL: undefined,
  WREN_DATA_DIR: undefined,
};
let server: ServerProcess | null = null;

let workingServer: ServerProcess | null = null;

afterAll(async () => {
  if (server) await killHard(server);
  if (workingServer) await killHard(workingServer);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('wren CLI', () => {
  it('prints the generated API key once on first start and saves it to <data-dir>/api-key', async () => {
    const fresh = mkdtempSync(join(tmpdir(), 'wren-first-'));
    const first = await startServerProcess(['--data-dir', fresh, '--no-worker'], env);
    try {
      const key = readFileSync(join(fresh, 'api-key'), 'utf8').trim();
      expect(key).toMatch(/^wren_/);
      expect(first.output()).toContain(`\n  ${key}\n`);
      const res = await fetch(`${first.url}/v1/runs`, { headers: { 'x-api-key': key } });
      expect(res.status).toBe(200);
    } finally {
      await killHard(first);
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('runs a task embedded with --wait and reports the failure reason (no model configured)', async () => {
    const schema = join(dataDir, 'schema.json');
    writeFileSync(
      schema,
      JSON.stringify({ type: 'object', properties: { title: { type: 'string' } } }),
    );
    const res = await runCli(
      [
        'run',
        'task',
        '--prompt',
        'Read the title',
        '--url',
        'example.com',
        '--schema',
        schema,
        '--engine',
        'skyvern-1.0',
        '--wait',
        '--data-dir',
        dataDir,
      ],
      env,
    );
    expect(res.code, res.stderr).toBe(1);
    const run = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(run).toMatchObject({ status: 'failed', run_type: 'task_v1' });
    expect(run['failure_reason']).toContain('WREN_MODEL');
    expect(run['run_request']).toMatchObject({
      url: 'https://example.com',
      data_extraction_schema: { type: 'object', properties: { title: { type: 'string' } } },
    });
    // Non-TTY progress: one line per change of status or step count.
    expect(res.stderr).toMatch(new RegExp(`${run['run_id']}\\s+failed\\s+steps: 0`));
  });

  it('names the bad field on invalid input', async () => {
    const res = await runCli(
      ['run', 'task', '--prompt', 'x', '--engine', 'warp-drive', '--data-dir', dataDir],
      env,
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'error (HTTP 422): engine must be one of skyvern-1.0, skyvern-2.0, openai-cua, anthropic-cua, ui-tars; got "warp-drive"',
    );
  });

  it('creates keys that a server accepts, and manages runs over HTTP', async () => {
    const created = await runCli(['keys', 'create', '--data-dir', dataDir, '--label', 'ci'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^wren_[A-Za-z0-9_-]{43}$/);

    server = await startServerProcess(['--data-dir', dataDir, '--no-worker'], env);
    const remote = ['--server', server.url, '--api-key', key];
    const submitted = await runCli(
      ['run', 'task', '--prompt', 'remote task', '--title', 'Remote', ...remote],
      env,
    );
    expect(submitted.code, submitted.stderr).toBe(0);
    const runId = (JSON.parse(submitted.stdout) as { run_id: string }).run_id;
    expect(runId).toMatch(/^tsk_v2_\d+$/);

    const got = await runCli(['runs', 'get', runId, ...remote], env);
    expect(JSON.parse(got.stdout)).toMatchObject({ run_id: runId, status: 'queued' });
    const listed = await runCli(['runs', 'list', '--status', 'queued', ...remote], env);
    expect(
      (JSON.parse(listed.stdout) as { run_id: string; title: string }[]).map((r) => [
        r.run_id,
        r.title,
      ]),
    ).toEqual([[runId, 'Remote']]);
    const canceled = await runCli(['runs', 'cancel', runId, ...remote], env);
    expect(canceled.code).toBe(0);
    expect(canceled.stderr).toBe(`canceled ${runId}\n`);
    expect(JSON.parse((await runCli(['runs', 'get', runId, ...remote], env)).stdout)).toMatchObject(
      { status: 'canceled' },
    );

    const wrongKey = await runCli(
      ['runs', 'list', '--server', server.url, '--api-key', 'nope'],
      env,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toBe('error (HTTP 403): Invalid credentials\n');
  });

  it('waits for a run on a server, with progress on a TTY that rewrites one line', async () => {
    const serverDir = mkdtempSync(join(tmpdir(), 'wren-cli-server-'));
    const key = 'wren_cli_wait_key';
    workingServer = await startServerProcess(['--data-dir', serverDir], {
      ...env,
      WREN_API_KEY: key,
    });
    const remote = ['--server', workingServer.url, '--api-key', key];
    const args = ['run', 'task', '--prompt', 'wait for me', '--engine', 'skyvern-1.0', '--wait'];

    // Not a TTY: one plain line per change, and the finished run as JSON on stdout.
    const plain = await runCli([...args, ...remote], env);
    expect(plain.code, plain.stderr).toBe(1);
    const run = JSON.parse(plain.stdout) as Record<string, unknown>;
    expect(run).toMatchObject({ status: 'failed', run_type: 'task_v1' });
    expect(run['failure_reason']).toContain('WREN_MODEL');
    expect(plain.stderr).not.toContain('\x1b[');
    expect(plain.stderr).toMatch(new RegExp(`^${run['run_id']}\\s+\\w+\\s+steps: \\d+\\n`));
    expect(plain.stderr.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(`^${run['run_id']}\\s+failed\\s+steps: 0$`),
    );

    // A TTY (util-linux `script` gives the command a pseudo-terminal): the line is redrawn in
    // place with a carriage return and erase-line, and ends with one newline.
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, WREN_BIN, ...args, ...remote].map(quote).join(' ');
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, ...env, WREN_API_KEY: undefined } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(tty.status, tty.stderr).toBe(1);
    const ttyRunId = /"run_id": "(tsk_\d+)"/.exec(tty.stdout)?.[1];
    expect(ttyRunId).toBeDefined();
    expect(tty.stdout).toMatch(new RegExp(`\\r\\x1b\\[2K${ttyRunId}\\s+failed\\s+steps: 0\\r?\\n`));
    expect(tty.stdout).toContain('"status": "failed"');
    rmSync(serverDir, { recursive: true, force: true });
  });
});
