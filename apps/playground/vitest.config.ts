import { defineConfig } from 'vitest/config';

// The unit tests only (the page's own vite.config.ts serves data sets and is not needed here);
// test/e2e.mjs, the browser test, runs as a plain Node script.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
