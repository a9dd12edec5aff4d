// Vite bundles src/main/web into one page with hashed assets. base "./" keeps every asset path relative, so the page
// works wherever it is served below a slash (/console/ on the server); the pom passes --outDir
// target/classes/millrace-console, which is outside the root, hence emptyOutDir.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  root: "src/main/web",
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../../../target/classes/millrace-console",
    emptyOutDir: true,
    // The AWS SDK clients are most of the page's weight; one chunk of them is cached once (hashed name).
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
