// Vite bundles src/main/web into one page with hashed assets. base "./" keeps every asset path relative, so the page
// works wherever it is served below a slash (/console/ on the server); the pom passes --outDir
// target/classes/millrace-console, which is outside the root, hence emptyOutDir.
//
// The page comes in chunks: the first screen (the streams list) loads the page's own code, React and the part of
// the AWS SDK that the Kinesis client needs; a stream's page, the KCL page, the CloudWatch panels (with uPlot) and
// KPL de-aggregation (protobufjs, js-md5) are dynamic imports, loaded when shown. The libraries are split into chunks
// of their own that change only when the library does, so that a new build of the console's code leaves them cached
// in the browser (every asset name carries a content hash; the server lets them be cached for a year).
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const inPackages = (...names) => new RegExp(`[\\\\/]node_modules[\\\\/](${names.join("|")})[\\\\/]`);
const SDK = inPackages("@aws-sdk", "@smithy", "@aws");
const OTHER_CLIENTS = inPackages("@aws-sdk/client-cloudwatch", "@aws-sdk/client-dynamodb", "@aws-sdk/util-dynamodb",
  "@aws-sdk/dynamodb-codec", "@aws-sdk/endpoint-cache", "@aws-sdk/middleware-endpoint-discovery");

export default defineConfig({
  root: "src/main/web",
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../../../target/classes/millrace-console",
    emptyOutDir: true,
    // Vite's default warning limit (500 kB): the biggest chunk, React, is under half of it.
    sourcemap: false,
    rolldownOptions: {
      output: {
        codeSplitting: {
          // Higher priority first; each group also takes its modules' dependencies that no earlier group took.
          groups: [
            { name: "react", test: inPackages("react", "react-dom", "scheduler"), priority: 40 },
            // The SDK's core and the Kinesis client (all of its commands: some are in the first screen, the rest are a
            // few hundred bytes, not worth a chunk of their own). What is specific to the other clients is left to the
            // next groups: anything of theirs here would be in the first download.
            { name: "aws-sdk", test: (id) => SDK.test(id) && !OTHER_CLIENTS.test(id), priority: 30 },
            // The other clients, loaded with the panels that use them, each with what only it needs (DynamoDB's
            // endpoint discovery and its cache, mnemonist).
            { name: "aws-cloudwatch", test: inPackages("@aws-sdk/client-cloudwatch"), priority: 20 },
            { name: "aws-dynamodb", test: inPackages("@aws-sdk/client-dynamodb", "@aws-sdk/util-dynamodb"),
              priority: 20 },
            { name: "uplot", test: inPackages("uplot"), priority: 10 },
            { name: "kpl-decoding", test: inPackages("protobufjs", "long", "js-md5"), priority: 10 },
          ],
        },
      },
    },
  },
});
