import { defineConfig } from 'vitest/config';

// The generated-case suites are large; a loaded machine (CI runs packages side by side) needs
// more than vitest's default 5 s for some of them.
export default defineConfig({ test: { testTimeout: 30_000 } });
