import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Env } from '@stockroom/core';

export const ROOT = resolve(__dirname, '../..');

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A bound for start-up and for one-shot commands, generous enough for a slow, loaded machine. */
const STARTUP_BOUND_MS = 180_000;

const live = new Set<ChildProcess>();

/** Runs a TypeScript entry point the way `npm run` does (ts-node, transpile only). */
export function spawnTs(entry: string, env: Env, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', entry, ...args], {
    cwd: ROOT,
    // A clean environment: only what the test passes, plus PATH for child tools.
    env: { PATH: process.env.PATH, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * SIGKILLs every process a test file started and did not stop (a test that failed before its
 * cleanup), and waits for them: run after each file (test/support/jest-setup.ts).
 */
export async function killStrays(): Promise<void> {
  const strays = [...live];
  await Promise.all(
    strays.map(
      (child) =>
        new Promise<void>((resolvePromise) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
          child.once('exit', () => resolvePromise());
          child.kill('SIGKILL');
        }),
    ),
  );
}

/**
 * Everything the child prints, and how it ended. With `timeoutMs` (one-shot commands) a child
 * still running then is killed and the promise rejects; without it (servers, workers) the test
 * stops the child itself.
 */
export function collect(child: ChildProcess, timeoutMs?: number): Promise<ProcessResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += chunk));
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`process did not exit within ${timeoutMs}ms\nstdout: ${stdout}\nstderr: ${stderr}`));
          }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

/** A one-shot command: its output once it exits by itself (killed if it has not within the start-up bound). */
export function run(child: ChildProcess): Promise<ProcessResult> {
  return collect(child, STARTUP_BOUND_MS);
}

/** Resolves once the child prints a line matching `pattern` on stdout or stderr. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = STARTUP_BOUND_MS): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs}ms:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[0]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before printing ${pattern}:\n${seen}`));
    });
  });
}

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<ProcessResult>;
  /** The error lines (pino level 50 and above) it logged so far: what a test shows beside an unexpected 500. */
  errors(): string[];
}

/** Starts `apps/api/src/main.ts` on a free loopback port and waits for its "listening" log line. */
export async function startApiProcess(env: Env): Promise<ApiProcess> {
  const child = spawnTs('apps/api/src/main.ts', { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
  const errors: string[] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (/"level":(5\d|6\d)\b/.test(line)) errors.push(line);
  });
  const exited = collect(child);
  const line = await waitForOutput(child, /\{[^\n]*"stockroom api listening"[^\n]*\}/);
  return { child, url: JSON.parse(line).url as string, exited, errors: () => [...errors] };
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<ProcessResult>;
  /** Everything it printed so far. */
  output(): string;
}

/** Starts `apps/worker/src/main.ts` and waits until it processes jobs. */
export async function startWorkerProcess(env: Env): Promise<WorkerProcess> {
  const child = spawnTs('apps/worker/src/main.ts', { ...env, LOG_LEVEL: 'info' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = collect(child);
  await waitForOutput(child, /stockroom worker ready/);
  return { child, exited, output: () => output };
}
