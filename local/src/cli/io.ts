/** Where the CLI writes and what it reads from its environment: the process's own, or a test's. */

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Progress goes to stderr only when it is a terminal. */
  stderrIsTTY: boolean;
  /** Resolves when the user asks `lake up` to stop (Ctrl-C). */
  untilStopped: () => Promise<void>;
}

export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  stderrIsTTY: process.stderr.isTTY === true,
  untilStopped: () =>
    new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    }),
};

/** An error's message for a log line, whatever was thrown. */
export const errorText = (error: unknown) =>
  error instanceof Error ? error.message : 'an unexpected non-error was thrown';
