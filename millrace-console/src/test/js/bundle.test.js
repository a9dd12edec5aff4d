// The built console (Vite's output, which the pom builds before this runs) as a browser gets it: the first screen
// loads only the page's code, React and the SDK's core with the Kinesis client, every chunk stays under Vite's warning
// limit, every file a chunk or the page refers to was emitted under a name the server serves, and nothing comes from
// anywhere but the server (the console works offline). Run after `npm run build` (the pom does).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const OUT = join(dirname(fileURLToPath(import.meta.url)), "../../../target/classes/millrace-console");
const ASSETS = join(OUT, "assets");
/** Vite warns from 500 kB on (its chunkSizeWarningLimit, which this build leaves at its default). */
const MAX_CHUNK_BYTES = 500 * 1000;
/** The first screen's scripts and styles, raw (the server sends them uncompressed): about 400 kB in this build. */
const MAX_FIRST_SCREEN_BYTES = 450 * 1000;
/** What the server's ConsoleFiles serves below /console/ (its SAFE_NAME, and its kinds of file that Vite emits). */
const SERVED_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(js|css)$/;
/** Strings found in one library's code only: where they are tells which chunk holds the library. */
const MARKERS = {
  kinesisClient: "Kinesis_20131202",
  dynamoDbClient: "DynamoDB_20120810",
  cloudWatchClient: "GraniteServiceVersion20100801",
  uPlot: "u-legend",
  protobufjs: "invalid wire type",
};

function built() {
  assert.ok(existsSync(join(OUT, "index.html")), `no build in ${OUT}: run npm run build first`);
  const page = readFileSync(join(OUT, "index.html"), "utf8");
  const files = new Map(readdirSync(ASSETS).map((name) => [name, readFileSync(join(ASSETS, name))]));
  return { page, files };
}

/** The assets the page itself loads: its entry script, the chunks it preloads and its style sheets. */
function firstScreen(page) {
  return [...page.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1])
    .filter((ref) => !ref.startsWith("data:"));
}

test("the first screen loads the page's code, React and the Kinesis client, and nothing else", () => {
  const { page, files } = built();
  const refs = firstScreen(page);
  for (const ref of refs) assert.match(ref, /^\.\/assets\/[^/]+$/, `${ref}: the page loads only its own assets`);
  const names = refs.map((ref) => ref.slice("./assets/".length));
  assert.ok(names.some((n) => n.endsWith(".css")), "the page's style sheet");
  assert.ok(names.filter((n) => n.endsWith(".js")).length >= 3, `entry, React, SDK: ${names}`);
  const code = names.map((n) => files.get(n)?.toString("utf8") ?? assert.fail(`${n} was not emitted`)).join("\n");
  assert.ok(code.includes(MARKERS.kinesisClient), "the Kinesis client is in the first screen");
  for (const lazy of ["dynamoDbClient", "cloudWatchClient", "uPlot", "protobufjs"]) {
    assert.ok(!code.includes(MARKERS[lazy]), `${lazy} is loaded only when shown, not with the first screen`);
  }
  const bytes = names.reduce((sum, n) => sum + files.get(n).length, 0);
  const gzipped = names.reduce((sum, n) => sum + gzipSync(files.get(n)).length, 0);
  console.log(`first screen: ${names.length} files, ${bytes} bytes, ${gzipped} gzipped`);
  assert.ok(bytes < MAX_FIRST_SCREEN_BYTES, `first screen ${bytes} bytes, over ${MAX_FIRST_SCREEN_BYTES}`);
});

test("every library loaded later is in a chunk of its own, none over Vite's limit", () => {
  const { files } = built();
  const holders = (marker) => [...files].filter(([n, b]) => n.endsWith(".js") && b.includes(marker)).map(([n]) => n);
  for (const [library, marker] of Object.entries(MARKERS)) {
    assert.equal(holders(marker).length, 1, `${library} is in exactly one chunk: ${holders(marker)}`);
  }
  for (const [name, bytes] of files) {
    assert.ok(bytes.length < MAX_CHUNK_BYTES, `${name}: ${bytes.length} bytes, over ${MAX_CHUNK_BYTES}`);
  }
});

test("every file a chunk refers to was emitted, under a name the server serves, and none is fetched elsewhere", () => {
  const { page, files } = built();
  for (const name of files.keys()) assert.match(name, SERVED_NAME, `${name} would not be served`);
  let refs = 0;
  for (const [name, bytes] of files) {
    if (!name.endsWith(".js")) continue;
    const code = bytes.toString("utf8");
    // Static imports (from"./x.js") and the dynamic imports' preload lists ("./x.js"), all relative to assets/.
    for (const m of code.matchAll(/["'`]\.\/([^"'`/]+\.(?:js|css))["'`]/g)) {
      refs++;
      assert.ok(files.has(m[1]), `${name} refers to ${m[1]}, which was not emitted`);
    }
    assert.doesNotMatch(code, /\bimport\s*\(\s*["'`]https?:/, `${name} imports from another origin`);
  }
  assert.ok(refs > 10, `the chunks refer to one another (${refs} references found)`);
  assert.doesNotMatch(page, /(?:src|href)="(?:https?:)?\/\//, "the page loads nothing from another origin");
});
