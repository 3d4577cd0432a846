// Shared by tools/check-packages.mjs and tools/pack-install-test.mjs: the public workspace packages,
// and one `pnpm pack` of all of them (pnpm rewrites `workspace:` ranges to real versions; each
// package's `prepack` refuses to pack an unbuilt package).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PNPM = ['--yes', 'pnpm@12.4.2'];

/** Every package under packages/ that is not private: `{ name, version, dir, pkg }`. */
export function publicPackages() {
  const out = [];
  for (const entry of readdirSync(join(ROOT, 'packages')).sort()) {
    const dir = join(ROOT, 'packages', entry);
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    if (pkg.private) continue;
    out.push({ name: pkg.name, version: pkg.version, dir, pkg });
  }
  return out;
}

/** The tarball name `pnpm pack` gives `@scope/name@version`. */
export function tarballName({ name, version }) {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

/** Pack `packages` (default: every public one) into `dest` with one pnpm run; returns the tarball paths. */
export function packAll(dest, packages = publicPackages()) {
  mkdirSync(dest, { recursive: true });
  const filters = packages.flatMap((p) => ['--filter', p.name]);
  try {
    execFileSync('npx', [...PNPM, '-r', ...filters, 'pack', '--pack-destination', dest], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
  } catch (e) {
    throw new Error(
      `packAll: pnpm pack failed (is everything built? \`pnpm build\`):\n${e.stderr ?? e.message}`,
    );
  }
  const tarballs = packages.map((p) => join(dest, tarballName(p)));
  const missing = tarballs.filter((t) => !existsSync(t));
  if (missing.length > 0) throw new Error(`packAll: pnpm pack did not write ${missing.join(', ')}`);
  return tarballs;
}
