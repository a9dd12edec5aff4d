// Uses the web console as a person would, in Debian's headless Chromium (/usr/bin/chromium, driven by playwright-core).
// Scenario "tour": creates a stream with the create form, opens it and sees the metrics panel say "no data yet" (no
// error), then hands over to the test, which publishes data points about the stream with PutMetricData (it writes
// <cwd>/metrics-published, holding the namespace, once the driver has written <cwd>/metrics-waiting), and waits for
// the panel to chart them from that namespace; starts the live tail, puts a record with the put form and waits for it
// in the tail, splits the shard with the shard map's button, waits for the lineage to be drawn, and puts a second
// record that the tail must show from a child shard, then a KPL aggregated record (typed in hex) whose user records
// the tail must show; then puts a JSON record and reads the tail shown as hex and as JSON, merges the two children,
// reshards to 2 with UpdateShardCount, raises the retention to 48 hours and lowers it to 36, registers two consumers
// and deregisters one, and switches the stream to on-demand. Scenario "keys" (a server with --auth sigv4): the
// console must ask for keys, and once given them list the streams with signed calls. Screenshots go to
// <screenshotDir>. Scenario "kcl": the KCL page finds a lease table and measures the lag at its checkpoint. Scenario
// "missing-chunk": a stream's page whose metrics panel's chunk the server no longer has (404, as after an upgrade
// while the page was open) shows the rest of the page and says so in the panel's place; its reload button, once the
// chunk is back, brings the panel. Prints one JSON line:
//   {"state":"done"|"failed","step":..., "error":..., "edges":[{parent,child}], "nodes":[{id,open}],
//    "tail":[{shard,subSequence,data}], "putResults":[text], "streams":[names], "storage":{local,session},
//    "apps":[tables], "leases":[{key,owner,checkpoint,lag}], "console":[errors],
//    "metricsEmpty":{state,alerts,charts}, "charts":[{name,timestamps,values,drawn}], "formats":{hex,json},
//    "edgesAfterMerge":[{parent,child}], "openShards":[texts], "retention":[texts],
//    "consumers":[{name,arn,status}], "consumersLeft":[names], "mode":text, "failedCalls":[{status,op,url}],
//    "alerts":[texts], "partFailed":text, "metricsAfterReload":state}
// and exits 0 only when every step passed. Usage:
//   node console-in-chromium.mjs tour <consoleUrl> <profileDir> <screenshotDir> <streamName> <first> <second>
//        <jsonRecord> <kplRecordHex> <userRecord>...
//   node console-in-chromium.mjs keys <consoleUrl> <profileDir> <screenshotDir> <accessKeyId> <secret> <streamName>
//   node console-in-chromium.mjs kcl <consoleUrl> <profileDir> <screenshotDir> <leaseTable> <streamName>
//   node console-in-chromium.mjs missing-chunk <consoleUrl> <profileDir> <screenshotDir> <streamName>
import { chromium } from "playwright-core";
import { join } from "node:path";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [scenario, consoleUrl, profileDir, shots, ...args] = process.argv.slice(2);
const STEP_TIMEOUT_MS = 20000;
const out = { state: "failed", step: "launch", error: null, edges: [], nodes: [], tail: [], putResults: [],
  streams: [], storage: null, console: [] };

const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: "/usr/bin/chromium", headless: true, chromiumSandbox: false, timeout: 30000,
  viewport: { width: 1400, height: 1100 },
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = context.pages()[0] ?? await context.newPage();
page.setDefaultTimeout(STEP_TIMEOUT_MS);
page.on("console", (m) => { if (m.type() === "error") out.console.push(m.text()); });
page.on("pageerror", (e) => out.console.push(`uncaught: ${e.message}`));
// Every API call the page made that was answered with an error status (the keys scenario expects some).
out.failedCalls = [];
page.on("response", (r) => {
  if (r.status() < 400) return;
  const req = r.request();
  const target = req.headers()["x-amz-target"];
  const op = target ?? (r.url().match(/\/operation\/([A-Za-z]+)/)?.[1])
    ?? (req.postData()?.match(/Action=([A-Za-z]+)/)?.[1]) ?? "";
  out.failedCalls.push({ status: r.status(), op, url: r.url() });
});
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const id = (testId) => `[data-testid="${testId}"]`;
const CHILD_LOW = "shardId-000000000001";

async function putRecord(data, encoding = "utf-8") {
  await page.selectOption(id("put-encoding"), encoding);
  await page.fill(id("put-data"), data);
  await page.fill(id("put-key"), `key-${data.slice(0, 60)}`);
  const before = await page.locator(id("put-result")).textContent({ timeout: 100 }).catch(() => null);
  await page.click(id("put-submit"));
  await page.waitForFunction(([sel, prev]) => {
    const el = document.querySelector(sel);
    return el != null && el.textContent.includes("shardId-") && el.textContent !== prev;
  }, [id("put-result"), before], { timeout: STEP_TIMEOUT_MS });
  out.putResults.push(await page.textContent(id("put-result")));
}

async function tailRows() {
  return page.$$eval('[data-testid="tail-record"]', (rows) => rows.map((r) => ({
    shard: r.getAttribute("data-shard-id"), subSequence: r.getAttribute("data-sub-sequence"),
    data: r.querySelector('[data-testid="tail-data"]').textContent })));
}

const HANDOVER_TIMEOUT_MS = 20000;

/** Writes <cwd>/metrics-waiting and waits for the test to write <cwd>/metrics-published; its content. */
async function handOver() {
  writeFileSync("metrics-waiting", "the metrics panel is empty\n");
  const until = Date.now() + HANDOVER_TIMEOUT_MS;
  while (!existsSync("metrics-published")) {
    if (Date.now() > until) throw new Error("the test did not publish metrics in time");
    await new Promise((r) => setTimeout(r, 100));
  }
  return readFileSync("metrics-published", "utf-8").trim();
}

async function charts() {
  return page.$$eval('[data-testid^="chart-"]', (figs) => figs.map((f) => ({
    name: f.getAttribute("data-testid").slice("chart-".length),
    timestamps: JSON.parse(f.getAttribute("data-timestamps")), values: JSON.parse(f.getAttribute("data-values")),
    drawn: Number(f.getAttribute("data-drawn")), canvas: f.querySelector("canvas") != null })));
}

async function alerts() {
  return page.$$eval('[role="alert"]', (es) => es.map((e) => e.textContent));
}

async function metricsPanel() {
  out.step = "the metrics panel: no data yet, and no error";
  const panel = id("metrics-panel");
  await page.waitForSelector(`${panel}[data-state="empty"]`);
  await page.waitForSelector(`${panel} [data-testid="metrics-empty"]`);
  out.metricsEmpty = { state: await page.getAttribute(panel, "data-state"),
    alerts: await page.$$eval(`${panel} [role="alert"]`, (es) => es.map((e) => e.textContent)),
    charts: await charts() };
  await page.locator(panel).screenshot({ path: join(shots, "01b-metrics-no-data-yet.png") });

  out.step = "the test publishes data points about the stream";
  const namespace = await handOver();

  out.step = "pick the published namespace: the points are charted";
  await page.click(id("metrics-refresh"));
  await page.waitForSelector(`${id("metrics-namespace")} option[value="${namespace}"]`, { state: "attached" });
  await page.selectOption(id("metrics-namespace"), namespace);
  await page.waitForSelector(`${panel}[data-namespace="${namespace}"][data-state="data"]`);
  await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].some((f) =>
    Number(f.getAttribute("data-drawn")) > 0), `${panel} [data-testid^="chart-"]`, { timeout: STEP_TIMEOUT_MS });
  out.charts = await charts();
  await page.locator(panel).screenshot({ path: join(shots, "01c-metrics-charted.png") });
  await page.selectOption(id("metrics-namespace"), "AWS/Kinesis");
}

async function tailFormats(json) {
  out.step = "put a JSON record, and show the tail as hex, then as JSON";
  await putRecord(json);
  const marker = JSON.parse(json).console;
  await page.locator(id("tail-data")).filter({ hasText: marker }).waitFor();
  const texts = () => page.$$eval('[data-testid="tail-data"]', (es) => es.map((e) => e.textContent));
  await page.selectOption(id("tail-format"), "hex");
  await page.waitForSelector('pre.data.hex[data-testid="tail-data"]');
  out.formats = { hex: await texts() };
  await page.selectOption(id("tail-format"), "json");
  await page.waitForSelector('pre.data.json[data-testid="tail-data"]');
  out.formats.json = await texts();
  await shot("04c-tail-as-json");
  await page.selectOption(id("tail-format"), "auto");
}

/** Waits until the summary shows `text` in `testId` and the stream is ACTIVE; records the text. */
async function summaryShows(testId, text) {
  await page.locator(id(testId)).filter({ hasText: text }).waitFor();
  await page.locator(id("stream-status")).filter({ hasText: "ACTIVE" }).waitFor();
  return page.textContent(id(testId));
}

async function settings() {
  out.step = "merge the two children with the shard map";
  await page.click(id(`merge-${CHILD_LOW}`));
  await page.waitForFunction(() => document.querySelectorAll("svg [data-edge]").length >= 4, null,
    { timeout: STEP_TIMEOUT_MS });
  out.edgesAfterMerge = await edges();
  out.openShards = [await summaryShows("open-shards", /^1$/)];
  await shot("08-lineage-after-merge");

  out.step = "reshard to 2 open shards (UpdateShardCount)";
  await page.fill(id("target-shards"), "2");
  await page.click(id("reshard-submit"));
  out.openShards.push(await summaryShows("open-shards", /^2$/));

  out.step = "raise the retention to 48 hours, then lower it to 36";
  out.retention = [await summaryShows("retention", /^24 hours$/)];
  await page.fill(id("retention-hours"), "48");
  await page.click(id("retention-submit"));
  out.retention.push(await summaryShows("retention", /^48 hours$/));
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === "48", id("retention-hours"));
  await page.fill(id("retention-hours"), "36");
  await page.click(id("retention-submit"));
  out.retention.push(await summaryShows("retention", /^36 hours$/));

  out.step = "register two consumers, deregister one";
  out.consumers = [];
  for (const name of ["console-kept", "console-gone"]) {
    await page.fill(id("consumer-name"), name);
    await page.click(id("consumer-register"));
    await page.locator(id(`consumer-status-${name}`)).filter({ hasText: "ACTIVE" }).waitFor();
    out.consumers.push({ name, arn: await page.getAttribute(id(`consumer-${name}`), "data-arn"),
      status: await page.textContent(id(`consumer-status-${name}`)) });
  }
  await shot("09-consumers");
  await page.click(id("deregister-console-gone"));
  await page.waitForSelector(id("consumer-console-gone"), { state: "detached" });
  out.consumersLeft = await page.$$eval('[data-testid="consumers"] tbody tr', (rows) => rows.map((r) =>
    r.getAttribute("data-testid").slice("consumer-".length)));

  out.step = "switch the stream to on-demand";
  await page.click(id("switch-mode"));
  out.mode = await summaryShows("stream-mode", /^ON_DEMAND$/);
  await shot("10-on-demand");
}

async function edges() {
  return page.$$eval("svg [data-edge]", (es) => es.map((e) => ({
    parent: e.getAttribute("data-parent"), child: e.getAttribute("data-child") })));
}

async function tour(stream, first, second, json, kplHex, ...kplUserRecords) {
  out.step = "open the console";
  await page.goto(consoleUrl);
  await page.waitForSelector(id("create-name"));

  out.step = "create a stream with the form";
  await page.fill(id("create-name"), stream);
  await page.selectOption(id("create-mode"), "PROVISIONED");
  await page.fill(id("create-shards"), "1");
  await page.click(id("create-submit"));
  await page.locator(id(`stream-status-${stream}`)).filter({ hasText: "ACTIVE" }).waitFor();
  await shot("01-streams");

  out.step = "open the stream's page";
  await page.click(id(`open-${stream}`));
  await page.waitForSelector('[data-shard-id="shardId-000000000000"]');
  await metricsPanel();

  out.step = "start the live tail";
  await page.selectOption(id("tail-from"), "LATEST");
  await page.click(id("tail-start"));
  await page.locator(id("tail-state")).filter({ hasText: "shardId-000000000000" }).waitFor();

  out.step = "put a record with the form and see it in the tail";
  await putRecord(first);
  await page.locator(id("tail-data")).filter({ hasText: first }).waitFor();
  await shot("02-record-in-tail");

  out.step = "split the shard with the shard map";
  await page.click(id("split-shardId-000000000000"));
  await page.waitForFunction(() => document.querySelectorAll('svg [data-edge]').length >= 2, null,
    { timeout: STEP_TIMEOUT_MS });
  await shot("03-lineage-after-split");

  out.step = "put a record after the split and see it in the tail, from a child shard";
  await page.locator(id("tail-state")).filter({ hasText: "shardId-000000000001" }).waitFor();
  await putRecord(second);
  await page.locator(id("tail-data")).filter({ hasText: second }).waitFor();
  await shot("04-tail-after-split");

  out.step = "put a KPL aggregated record (as hex) and see its user records in the tail";
  await putRecord(kplHex, "hex");
  for (const user of kplUserRecords) {
    await page.locator(id("tail-data")).filter({ hasText: user }).waitFor();
  }
  await shot("04b-kpl-record-in-tail");

  out.edges = await edges();
  out.nodes = await page.$$eval("svg [data-shard-id]", (ns) => ns.map((n) => ({
    id: n.getAttribute("data-shard-id"), open: n.getAttribute("data-open") === "true" })));
  out.tail = await tailRows();

  await tailFormats(json);
  await settings();
}

async function keys(accessKeyId, secret, stream) {
  out.step = "open the console: the server refuses the placeholder keys";
  await page.goto(consoleUrl);
  await page.waitForSelector(id("auth-problem"));
  await shot("05-asks-for-keys");

  out.step = "give the keys: the streams are listed with signed calls";
  await page.fill(id("key-id"), accessKeyId);
  await page.fill(id("key-secret"), secret);
  await page.click(id("keys-submit"));
  await page.waitForSelector(id(`stream-row-${stream}`));
  await shot("06-signed-in");
  out.streams = await page.$$eval('[data-testid^="stream-row-"]', (rows) => rows.map((r) =>
    r.getAttribute("data-testid").slice("stream-row-".length)));
  out.storage = await page.evaluate(() => ({ local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }) }));
}

async function kcl(table, stream) {
  out.step = "find the KCL application's lease table";
  await page.goto(`${consoleUrl}#/kcl`);
  await page.waitForSelector(id(`kcl-app-${table}`));
  out.apps = await page.$$eval('[data-testid^="kcl-app-"]', (apps) => apps.map((a) =>
    a.getAttribute("data-testid").slice("kcl-app-".length)));

  out.step = "measure the lag at the checkpoint";
  await page.waitForSelector(`${id(`kcl-stream-${table}`)} option[value="${stream}"]`, { state: "attached" });
  await page.selectOption(id(`kcl-stream-${table}`), stream);
  await page.click(id(`kcl-measure-${table}`));
  await page.locator(id("lease-lag")).filter({ hasText: /ms behind|caught up/ }).first().waitFor();
  await shot("07-kcl-application");
  out.leases = await page.$$eval('[data-testid="lease"]', (rows) => rows.map((r) => ({
    key: r.getAttribute("data-lease-key"),
    owner: r.querySelector('[data-testid="lease-owner"]').textContent,
    checkpoint: r.querySelector('[data-testid="lease-checkpoint"]').textContent.trim(),
    lag: r.querySelector('[data-testid="lease-lag"]').textContent })));
}

async function missingChunk(stream) {
  out.step = "open a stream's page whose metrics chunk is gone: the rest of the page works";
  const gone = /\/assets\/MetricsPanel-[^/]+\.js$/;
  await page.route(gone, (route) => route.fulfill({ status: 404, contentType: "text/plain", body: "No such file" }));
  await page.goto(`${consoleUrl}#/stream/${encodeURIComponent(stream)}`);
  await page.waitForSelector(id("stream-summary"));
  await page.waitForSelector(id("tail-start"));
  await page.waitForSelector(id("part-failed"));
  out.partFailed = await page.textContent(id("part-failed"));
  await shot("11-missing-chunk");

  out.step = "the chunk is back: the reload button brings the metrics panel";
  await page.unroute(gone);
  await page.click(`${id("part-failed")} button`);
  await page.waitForSelector(id("metrics-panel"));
  out.metricsAfterReload = await page.getAttribute(id("metrics-panel"), "data-state");
}

try {
  if (scenario === "tour") {
    await tour(...args);
  } else if (scenario === "keys") {
    await keys(...args);
  } else if (scenario === "kcl") {
    await kcl(...args);
  } else if (scenario === "missing-chunk") {
    await missingChunk(...args);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
  out.step = "done";
  out.state = "done";
} catch (e) {
  out.error = e.message.split("\n")[0];
  out.alerts = await alerts().catch(() => []);
  out.tail = await tailRows().catch(() => []);
  await shot(`99-${scenario}-failure`).catch(() => {});
} finally {
  console.log(JSON.stringify(out));
  await context.close();
}
process.exit(out.state === "done" ? 0 : 1);
