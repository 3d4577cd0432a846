import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Some tests run the built `myelin` as a child process (to kill it, or to read its stderr), and
 * turbo builds only a package's dependencies before its tests: build the CLI first (tsup, ~1 s).
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  const tsup = join(
    dirname(createRequire(join(root, 'package.json')).resolve('tsup/package.json')),
    'dist',
    'cli-default.js',
  );
  execFileSync(process.execPath, [tsup, '--silent'], { cwd: root, stdio: 'inherit' });
}
