/** A log line's level. */
export type LogLevel = 'info' | 'warn' | 'error';

/** Where the executor's logs go. */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** The JSON log line the CLI writes to stderr. */
export const jsonLogger: Logger = (level, message, fields = {}) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
};
