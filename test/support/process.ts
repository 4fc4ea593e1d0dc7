/** Runs `node bin/wren.js …` as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WREN_BIN = join(ROOT, 'bin', 'wren.js');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  /** The child leads its own process group (killHard ends the whole group). */
  group?: boolean;
}

/** How to start `wren`: this checkout's bin by default, or e.g. `npx wren` in another project. */
export interface WrenCommand {
  command: string[];
  cwd: string;
}

const CHECKOUT: WrenCommand = { command: [process.execPath, WREN_BIN], cwd: ROOT };

/** Starts `wren server` on a free port and resolves once it logs its address. */
export async function startServerProcess(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
  wren: WrenCommand = CHECKOUT,
): Promise<ServerProcess> {
  const [command = process.execPath, ...prefix] = wren.command;
  const child = spawn(
    command,
    [...prefix, 'server', '--port', '0', '--log-level', 'info', ...args],
    {
      cwd: wren.cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so killHard also ends a server a wrapper (npx) started.
      detached: wren !== CHECKOUT,
    },
  );
  let out = '';
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), timeoutMs);
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      buffer += d.toString();
      for (const line of buffer.split('\n')) {
        if (!line.includes('"wren listening"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { address: string }).address);
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  return { child, url, output: () => out, group: wren !== CHECKOUT };
}

export async function killHard(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, 'exit');
  const pid = server.child.pid;
  if (server.group && pid !== undefined) {
    process.kill(-pid, 'SIGKILL');
  } else {
    server.child.kill('SIGKILL');
  }
  await exited;
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [WREN_BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}
