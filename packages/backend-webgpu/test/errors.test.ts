import '@myelin/backend-cpu';
import { describe, expect, it } from 'vitest';
import { webgpuBackend } from '../src/index.js';

/* Errors that speak to the user: what is missing, and which other backends are there instead. */

let available = true;
try {
  (await webgpuBackend()).dispose();
} catch {
  available = false;
}

describe('webgpu device errors', () => {
  it.skipIf(!available)('a missing feature is named, with what the adapter has', async () => {
    await expect(webgpuBackend({ requiredFeatures: ['shader-f16'] })).rejects.toThrow(
      /lacks feature 'shader-f16' \(it has: /,
    );
  });

  it('no adapter says so and names the backends that are available', async () => {
    // Dawn's Vulkan backend finds no adapter on a GPU-less machine (lavapipe is not offered).
    const err = await webgpuBackend({ dawnFlags: ['backend=vulkan'], compatibility: false }).then(
      (b) => {
        b.dispose();
        return null;
      },
      (e: Error) => e,
    );
    if (err === null) return; // a real GPU: nothing to check here
    expect(err.message).toMatch(/webgpu backend: no GPU adapter/);
    expect(err.message).toMatch(/available backends: .*cpu/);
  });
});
