/**
 * How the functions log: Powertools Logger, one JSON line per entry, with the
 * Lambda context (function name, request id, cold start) that
 * `logsWithLambdaContext` adds to every line of an invocation. ERROR and WARN
 * go to stderr, INFO to stdout, so Lambda's JSON log format records each at
 * its level. What is logged is counts, names, sequence numbers and error
 * messages (domain messages carry no identifiers): never a raw identifier,
 * never an event body.
 */
import type { MiddlewareObj } from '@middy/core';
import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

export type { Logger };

/** The service name on every line: POWERTOOLS_SERVICE_NAME where the template sets it, else the lake's name. */
const serviceName = (): string => process.env['POWERTOOLS_SERVICE_NAME'] || 'pulse-lake';

/** A function's logger; build one per handler, so the Lambda context of one function never shows on another's lines. */
export function functionLogger(): Logger {
  return new Logger({ serviceName: serviceName() });
}

/**
 * The middleware that adds the invocation's Lambda context to each line of `logger`.
 * The event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it can carry patients' values.
 */
export function logsWithLambdaContext(logger: Logger): MiddlewareObj {
  return injectLambdaContext(logger, { logEvent: false, resetKeys: true });
}

/** Level, message and the logged fields, nothing the runtime adds (timestamp, service, Lambda context). */
class LoggedFieldsFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({ attributes: { level: attributes.logLevel, message: attributes.message } }).addAttributes(
      additional,
    );
  }
}

/** A Logger whose lines go to a function instead of stdout and stderr. */
class LinesLogger extends Logger {
  constructor(private readonly write: (line: string) => void) {
    super({ serviceName: serviceName(), logFormatter: new LoggedFieldsFormatter() });
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.write(JSON.stringify(log.getAttributes()));
  }
}

/**
 * A logger that hands each line to `write` as JSON with the level, the message and the logged fields only:
 * what a test reads back, or a caller that collects a function's lines.
 */
export function linesLogger(write: (line: string) => void): Logger {
  return new LinesLogger(write);
}
