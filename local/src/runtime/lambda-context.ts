/**
 * A Lambda `Context` shaped like the real one, so handlers (and middy
 * middlewares such as Powertools' logger) see what they see on AWS.
 */
import type { Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

export interface ContextSettings {
  functionName: string;
  timeoutSeconds: number;
  memorySize: number;
  region: string;
  accountId: string;
}

/** A fresh context per invocation: its own request id and deadline. */
export function lambdaContext(settings: ContextSettings): Context {
  const deadline = Date.now() + settings.timeoutSeconds * 1000;
  const requestId = randomUUID();
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const unsupported = (what: string) => () => {
    throw new Error(
      `context.${what}() is deprecated in Node.js Lambda runtimes; return or throw from the handler instead`,
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: settings.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${settings.functionName}`,
    memoryLimitInMB: String(settings.memorySize),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${settings.functionName}`,
    logStreamName: `${day}/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
