import { test } from "node:test";
import assert from "node:assert/strict";
import { getMetrics, listMetricsOf } from "../../main/web/metrics.js";

/** A CloudWatch client that answers each call with the next of `pages` and keeps what it was sent. */
function fakeCloudWatch(pages) {
  const sent = [];
  return { sent, send: async (command) => { sent.push(command.input); return pages[sent.length - 1]; } };
}

const stream = [{ Name: "StreamName", Value: "orders" }];

test("listMetricsOf keeps the metrics with exactly the stream's dimension, across pages and namespaces", async () => {
  const cw = fakeCloudWatch([
    { Metrics: [
      { Namespace: "Shop", MetricName: "Placed", Dimensions: stream },
      { Namespace: "Shop", MetricName: "PerShard", Dimensions: [...stream, { Name: "ShardId", Value: "s" }] },
    ], NextToken: "t1" },
    { Metrics: [
      { Namespace: "KinesisProducerLibrary", MetricName: "UserRecordsPut", Dimensions: stream },
      { Namespace: "Shop", MetricName: "Cancelled", Dimensions: stream },
      { Namespace: "Shop", MetricName: "Placed", Dimensions: stream },
    ] },
  ]);
  const found = await listMetricsOf(cw, stream);
  assert.deepEqual(found.namespaces, ["KinesisProducerLibrary", "Shop"]);
  assert.deepEqual(found.byNamespace.get("Shop"), ["Cancelled", "Placed"]);
  assert.equal(cw.sent.length, 2);
  assert.equal(cw.sent[1].NextToken, "t1");
  assert.deepEqual(cw.sent[0].Dimensions, stream);
});

test("getMetrics asks in the namespace given and merges the pages' points oldest first", async () => {
  const t = (minute) => new Date(Date.UTC(2026, 0, 1, 12, minute));
  const cw = fakeCloudWatch([
    { MetricDataResults: [{ Id: "m0", Timestamps: [t(2)], Values: [5] }], NextToken: "n" },
    { MetricDataResults: [{ Id: "m0", Timestamps: [t(1)], Values: [3] }, { Id: "m1", Timestamps: [], Values: [] }] },
  ]);
  const series = await getMetrics(cw, [{ name: "Placed", stat: "Sum" }, { name: "Cancelled", stat: "Maximum" }],
    stream, 60, t(30).getTime(), "Shop");
  assert.deepEqual(series.map((s) => [s.name, s.timestamps, s.values]), [
    ["Placed", [t(1).getTime() / 1000, t(2).getTime() / 1000], [3, 5]], ["Cancelled", [], []]]);
  const query = cw.sent[0].MetricDataQueries[1];
  assert.equal(query.MetricStat.Metric.Namespace, "Shop");
  assert.equal(query.MetricStat.Stat, "Maximum");
  assert.equal(cw.sent[0].EndTime.getTime(), t(30).getTime());
  assert.equal(cw.sent[0].StartTime.getTime(), t(30).getTime() - 3600000);
});
