// Bundles kinesis-page.js and the AWS SDK it imports for the browser (the packages' "browser" builds) into
// <outDir>/kinesis-page.js, next to a copy of index.html. Usage: node bundle-page.mjs <outDir>
import { build } from "esbuild";
import { copyFileSync } from "node:fs";
import { join } from "node:path";

const outDir = process.argv[2];
await build({
  entryPoints: ["kinesis-page.js"], bundle: true, platform: "browser", format: "esm", target: "es2022",
  outfile: join(outDir, "kinesis-page.js"), logLevel: "warning",
});
copyFileSync("index.html", join(outDir, "index.html"));
