#!/usr/bin/env node
// `prepack` of every published package: refuse to pack when the built files that package.json points
// at are missing (an unbuilt clone would otherwise pack a tarball holding only package.json).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.cwd();
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const targets = new Set();
const collect = (v) => {
  if (typeof v === 'string') targets.add(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) collect(x);
};
for (const key of ['main', 'module', 'types', 'exports']) collect(pkg[key]);
const missing = [...targets].filter((p) => !p.includes('*') && !existsSync(join(dir, p)));
if (missing.length > 0) {
  console.error(
    `${pkg.name}: cannot pack: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing. ` +
      'Build first: `npx --yes pnpm@12.4.2 build` at the repository root (or `pnpm build` here).',
  );
  process.exit(1);
}
