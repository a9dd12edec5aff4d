// Opens a page in Debian's headless Chromium (/usr/bin/chromium, driven by playwright-core, which downloads no
// browser), waits until its #result element has a data-state, and prints one JSON line:
//   {"state":"done"|"failed"|"timeout","report":<#result's JSON>,"preflights":[{url,requestHeaders,status}],
//    "console":[<the page's console errors and uncaught exceptions, e.g. Chromium's "blocked by CORS policy">]}
// The preflights are Chromium's own CORS preflights as its DevTools protocol reports them (page scripts cannot see
// them). Exits 0 when the state is "done". Usage: node run-in-chromium.mjs <pageUrl> <profileDir> <timeoutMs>
import { chromium } from "playwright-core";

const [pageUrl, profileDir, timeoutArg] = process.argv.slice(2);
// A fresh profile directory each run. Without the background-networking flags Chromium keeps calling Google's hosts,
// which a closed network refuses. The launch timeout stays well under the Java test's limit for this whole script.
const context = await chromium.launchPersistentContext(profileDir, {
  executablePath: "/usr/bin/chromium", headless: true, chromiumSandbox: false, timeout: 30000,
  args: ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const output = { state: "timeout", report: null, preflights: [], console: [] };
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") output.console.push(m.text()); });
  page.on("pageerror", (e) => output.console.push(`uncaught: ${e.message}`));
  const devtools = await context.newCDPSession(page);
  const preflights = new Map();
  devtools.on("Network.requestWillBeSent", (e) => {
    if (e.type === "Preflight" || e.request.method === "OPTIONS") {
      const h = e.request.headers;
      preflights.set(e.requestId, { url: e.request.url, method: e.request.method,
        requestHeaders: h["Access-Control-Request-Headers"] ?? h["access-control-request-headers"] ?? null,
        status: null });
    }
  });
  devtools.on("Network.responseReceived", (e) => {
    const p = preflights.get(e.requestId);
    if (p) p.status = e.response.status;
  });
  await devtools.send("Network.enable");
  await page.goto(pageUrl);
  try {
    await page.waitForSelector("#result[data-state]", { timeout: Number(timeoutArg) });
    output.state = await page.getAttribute("#result", "data-state");
  } catch (e) {
    output.console.push(`no result: ${e.message.split("\n")[0]}`);
  }
  const text = await page.textContent("#result");
  output.report = text ? JSON.parse(text) : null;
  output.preflights = [...preflights.values()];
} finally {
  console.log(JSON.stringify(output));
  await context.close();
}
process.exit(output.state === "done" ? 0 : 1);
