// CloudWatch GetMetricData as AWS documents it: one query per metric, 1-minute periods, oldest first; Kinesis's own
// metrics (namespace AWS/Kinesis) and those clients published about a stream (the KPL's KinesisProducerLibrary, an
// application's own), found with ListMetrics. Bounded: at most MAX_PAGES answers are gathered per call.
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { clientOf } from "./connection.js";

export const KINESIS_NAMESPACE = "AWS/Kinesis";
const PERIOD_S = 60;
const MAX_PAGES = 10;
/** GetMetricData answers at most 500 queries a call: a published namespace's first ones are charted. */
export const MAX_PUBLISHED_METRICS = 50;

/** The stream-level metrics the console charts, with the statistic that makes sense for each. */
export const STREAM_METRICS = [
  { name: "IncomingRecords", stat: "Sum", unit: "records" },
  { name: "IncomingBytes", stat: "Sum", unit: "bytes" },
  { name: "GetRecords.Records", stat: "Sum", unit: "records" },
  { name: "GetRecords.Bytes", stat: "Sum", unit: "bytes" },
  { name: "GetRecords.IteratorAgeMilliseconds", stat: "Maximum", unit: "ms" },
  { name: "PutRecord.Latency", stat: "Average", unit: "ms" },
  { name: "WriteProvisionedThroughputExceeded", stat: "Sum", unit: "records" },
  { name: "ReadProvisionedThroughputExceeded", stat: "Sum", unit: "calls" },
];

/** The consumer-level metrics of enhanced fan-out (dimensions StreamName and ConsumerName). */
export const CONSUMER_METRICS = [
  { name: "SubscribeToShard.Success", stat: "Sum", unit: "subscriptions" },
  { name: "SubscribeToShardEvent.Records", stat: "Sum", unit: "records" },
  { name: "SubscribeToShardEvent.MillisBehindLatest", stat: "Maximum", unit: "ms" },
];

/** The CloudWatch client of a connection's clients (made here: see connection.js). */
export function cloudWatchOf(clients) {
  return clientOf(clients, CloudWatchClient);
}

/**
 * For each of `metrics` ({name, stat}) with `dimensions` ([{Name, Value}]) over the last `minutes`:
 * [{name, stat, unit, timestamps: [seconds], values: [numbers]}], in the order asked.
 */
export async function getMetrics(cloudWatch, metrics, dimensions, minutes, now = Date.now(),
  namespace = KINESIS_NAMESPACE) {
  const end = new Date(Math.ceil(now / 60000) * 60000);
  const start = new Date(end.getTime() - minutes * 60000);
  const queries = metrics.map((m, i) => ({
    Id: `m${i}`,
    MetricStat: { Metric: { Namespace: namespace, MetricName: m.name, Dimensions: dimensions },
      Period: PERIOD_S, Stat: m.stat },
    ReturnData: true,
  }));
  const series = metrics.map((m) => ({ ...m, points: new Map() }));
  let token;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await cloudWatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start,
      EndTime: end, ScanBy: "TimestampAscending", ...(token ? { NextToken: token } : {}) }));
    for (const r of out.MetricDataResults ?? []) {
      const s = series[Number(r.Id.slice(1))];
      if (!s) continue;
      (r.Timestamps ?? []).forEach((t, i) => s.points.set(new Date(t).getTime() / 1000, r.Values[i]));
    }
    token = out.NextToken;
    if (!token) break;
  }
  return series.map(({ points, ...m }) => {
    const timestamps = [...points.keys()].sort((a, b) => a - b);
    return { ...m, timestamps, values: timestamps.map((t) => points.get(t)) };
  });
}

/**
 * The metrics published with exactly `dimensions` ([{Name, Value}]), in every namespace (ListMetrics, paged,
 * bounded): {namespaces: [names, sorted], byNamespace: Map(namespace -> [metric names, sorted])}.
 */
export async function listMetricsOf(cloudWatch, dimensions) {
  const byNamespace = new Map();
  const wanted = dimensions.map((d) => `${d.Name}=${d.Value}`).sort().join(",");
  let token;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await cloudWatch.send(new ListMetricsCommand({ Dimensions: dimensions,
      ...(token ? { NextToken: token } : {}) }));
    for (const m of out.Metrics ?? []) {
      const have = (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).sort().join(",");
      if (have !== wanted) continue; // finer-grained (per shard, per worker): not this chart's
      if (!byNamespace.has(m.Namespace)) byNamespace.set(m.Namespace, new Set());
      byNamespace.get(m.Namespace).add(m.MetricName);
    }
    token = out.NextToken;
    if (!token) break;
  }
  const names = new Map([...byNamespace].map(([ns, set]) => [ns, [...set].sort()]));
  return { namespaces: [...names.keys()].sort(), byNamespace: names };
}
