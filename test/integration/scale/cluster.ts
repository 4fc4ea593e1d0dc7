/** Starts `wren server --role worker` child processes (they log "wren worker started", no HTTP). */
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT, WREN_BIN } from '../../support/process.js';

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
