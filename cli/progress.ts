/**
 * Progress of a long command (`pack`, `deploy`, `uplift`): a bar redrawn in place on a terminal,
 * plain lines otherwise (CI logs, pipes), so a log keeps every step and a terminal stays tidy.
 */

export interface Progress {
  /** `done` of `total` steps, with what was just done. */
  update(done: number, total: number, message: string): void;
  /** A line of output from the work itself (e.g. docker's), kept above the bar on a terminal. */
  note(message: string): void;
  /** Ends the display, leaving `message` as the last line. */
  finish(message: string): void;
}

const BAR_WIDTH = 24;

function bar(done: number, total: number): string {
  const filled = total <= 0 ? BAR_WIDTH : Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

/**
 * A progress display on `stream` (standard error by default, so standard output stays the
 * command's result). `interactive` defaults to whether the stream is a terminal.
 */
export function createProgress(label: string, stream: NodeJS.WriteStream = process.stderr, interactive: boolean = stream.isTTY === true): Progress {
  if (!interactive) {
    return {
      update: (done, total, message) => stream.write(`${label}: [${done}/${total}] ${message}\n`),
      note: (message) => stream.write(`${label}: ${message}\n`),
      finish: (message) => stream.write(`${label}: ${message}\n`),
    };
  }
  let current = '';
  const width = (): number => Math.max(20, (stream.columns ?? 80) - 1);
  const draw = (): void => {
    stream.write(`\r\x1b[2K${current.slice(0, width())}`);
  };
  return {
    update(done, total, message) {
      current = `${label} ${bar(done, total)} ${done}/${total} ${message}`;
      draw();
    },
    note(message) {
      stream.write(`\r\x1b[2K${message.slice(0, width())}\n`);
      if (current !== '') draw();
    },
    finish(message) {
      current = '';
      stream.write(`\r\x1b[2K${message}\n`);
    },
  };
}
