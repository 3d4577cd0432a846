import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/linear-regression.ts'],
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: true,
});
