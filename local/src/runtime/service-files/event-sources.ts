/** The event sources a function's `events:` can name, as the local runtime serves them. */
import type { YamlObject, YamlValue } from './yaml';

/** An EventBridge pattern as the service file states it. */
export type RulePattern = YamlObject;

export interface S3Source {
  kind: 's3';
  bucket: string;
  /** `s3:ObjectCreated:*` and the like. */
  event: string;
  prefix?: string;
  suffix?: string;
}

export interface SqsSource {
  kind: 'sqs';
  queueName: string;
  batchSize: number;
  reportBatchItemFailures: boolean;
  /** From the queue resource's `VisibilityTimeout`, when declared. */
  visibilityTimeoutSeconds?: number;
  /** From the queue resource's `RedrivePolicy`, when declared. */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

export interface EventBridgeSource {
  kind: 'eventBridge';
  ruleName: string;
  pattern: RulePattern;
}

export interface ScheduleSource {
  kind: 'schedule';
  ruleName: string;
  expression: string;
  enabled: boolean;
  input?: YamlValue;
}

export interface HttpSource {
  kind: 'http';
  /** `rest` for `http:` events (API Gateway v1 payload), `http` for `httpApi:` (v2 payload). */
  api: 'rest' | 'http';
  method: string;
  path: string;
  /** `authorizer: aws_iam`: API Gateway checks an IAM signature, which the local gateway does not. */
  iamAuthorized?: boolean;
}

export interface StreamSource {
  kind: 'stream';
  /** The DynamoDB table whose stream feeds the function. */
  table: string;
  /** From the table resource's KeySchema. */
  keySchema: { partitionKey: string; sortKey?: string };
  batchSize: number;
  batchWindowSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** -1: retried until it succeeds (Lambda's default). */
  maximumRetryAttempts: number;
  reportBatchItemFailures: boolean;
  /** The SQS queue named by `destinations.onFailure`, when there is one. */
  onFailureQueue?: string;
}

export type EventSource = S3Source | SqsSource | EventBridgeSource | ScheduleSource | HttpSource | StreamSource;
