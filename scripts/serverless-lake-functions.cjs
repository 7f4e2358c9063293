'use strict';
/**
 * Serverless v3 plugin: what every Pulse Lake function gets, stated once for the five services.
 *
 * - It refuses to package a function without a role of its own (least privilege is per function:
 *   the role sits beside the function in its serverless.yml), or without its own timeout and memory.
 * - Its logs are structured JSON (Lambda's LoggingConfig; serverless v3 has no setting for it).
 * - Errors and throttles alarms go to the lake's alarm topic (`custom.alarms.topicArn`).
 *
 * Loaded by relative path from each service's `plugins:`; no install step, packages offline.
 */

const ALARMED_METRICS = [
  { metric: 'Errors', suffix: 'errors', description: 'invocations failed' },
  { metric: 'Throttles', suffix: 'throttles', description: 'invocations were throttled (concurrency limit reached)' },
];

class LakeFunctions {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:package:compileFunctions': () => this.compile() };
  }

  compile() {
    const service = this.serverless.service;
    const provider = this.serverless.getProvider('aws');
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const topicArn = service.custom?.alarms?.topicArn;
    if (topicArn === undefined) throw new this.serverless.classes.Error('custom.alarms.topicArn is not set: the functions\' alarms would notify nobody');
    for (const name of service.getAllFunctions()) {
      const fn = service.getFunction(name);
      const missing = ['role', 'timeout', 'memorySize'].filter((key) => fn[key] === undefined);
      if (missing.length > 0) throw new this.serverless.classes.Error(`function ${name} sets no ${missing.join(', ')} of its own; every lake function declares its role, timeout and memory beside it`);
      const logicalId = provider.naming.getLambdaLogicalId(name);
      const lambda = resources[logicalId];
      if (lambda === undefined) continue;
      lambda.Properties.LoggingConfig = { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' };
      for (const { metric, suffix, description } of ALARMED_METRICS) {
        resources[`${logicalId}${metric}Alarm`] = {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            AlarmName: `${fn.name}-${suffix}`,
            AlarmDescription: `${fn.name}: ${description}. Its JSON logs in /aws/lambda/${fn.name} say why.`,
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
            Statistic: 'Sum',
            Period: 300,
            EvaluationPeriods: 1,
            Threshold: 0,
            ComparisonOperator: 'GreaterThanThreshold',
            TreatMissingData: 'notBreaching',
            AlarmActions: [topicArn],
          },
        };
      }
    }
  }
}

module.exports = LakeFunctions;
