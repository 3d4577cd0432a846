import { registeredBackends } from '@myelin/core';

/** How to obtain a GPUDevice. */
export interface WebGpuOptions {
  /** Use this device instead of requesting one (the backend does not destroy it on dispose). */
  device?: GPUDevice;
  /** Adapter power preference (browsers). */
  powerPreference?: GPUPowerPreference;
  /**
   * Node only: flags for the `webgpu` package's `create()`. By default on Linux the backend takes
   * Dawn's default (Vulkan: a real GPU's driver) and, where that gives no adapter, as on a GPU-less
   * machine, `['backend=opengl']` (Dawn over Mesa's llvmpipe); elsewhere Dawn's default.
   */
  dawnFlags?: string[];
  /** Request a 'compatibility' adapter (default: only on the OpenGL path). */
  compatibility?: boolean;
  /** Features the caller needs; a missing one is an error that names it. */
  requiredFeatures?: GPUFeatureName[];
}

/** A GPU, its device and where it came from. */
export interface AcquiredDevice {
  device: GPUDevice;
  adapterInfo: string;
  /** True when the backend created the device and must destroy it. */
  owned: boolean;
}

function others(): string {
  const names = registeredBackends().filter((n) => n !== 'webgpu');
  return names.length
    ? `available backends: ${names.join(', ')}`
    : 'no other backend is registered (import @myelin/backend-cpu or @myelin/backend-wasm)';
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return (
    typeof p?.versions?.node === 'string' &&
    typeof (globalThis as { window?: unknown }).window === 'undefined'
  );
}

/** The `webgpu` package's exports (Dawn for Node), loaded lazily so browsers never see it. */
interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/**
 * Dawn instances by flags. Kept for the life of the process: if the GPU object returned by
 * `create()` is garbage-collected, Dawn tears down the instance under live devices and the process
 * aborts in a mutex assertion.
 */
const dawnInstances = new Map<string, GPU>();

async function nodeGpu(flags: string[]): Promise<GPU> {
  const key = flags.join(' ');
  const known = dawnInstances.get(key);
  if (known) return known;
  let mod: DawnModule;
  try {
    // A variable specifier keeps bundlers from resolving the optional peer.
    const name = 'webgpu';
    mod = (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (e) {
    throw new Error(
      `webgpu backend: Node has no WebGPU; install the optional peer dependency \`webgpu\` (npm i webgpu) to use Dawn (${(e as Error).message}); ${others()}`,
    );
  }
  // Dawn's GPUBufferUsage/GPUMapMode/... constants, which kernels use by name.
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  if (process.platform === 'linux' && !process.env.EGL_PLATFORM) {
    // Dawn's OpenGL backend on a headless machine needs Mesa's surfaceless EGL platform.
    process.env.EGL_PLATFORM = 'surfaceless';
  }
  const gpu = mod.create(flags);
  dawnInstances.set(key, gpu);
  return gpu;
}

/**
 * Find a GPU and open a device on it: `navigator.gpu` in browsers, the `webgpu` package in Node.
 * Errors say what is missing and which other backends are available.
 */
export async function acquireDevice(options: WebGpuOptions = {}): Promise<AcquiredDevice> {
  if (options.device) return { device: options.device, adapterInfo: 'user-supplied device', owned: false };
  const node = isNode();
  const linux = node && process.platform === 'linux';
  const request: GPURequestAdapterOptions & { featureLevel?: string } = {};
  if (options.powerPreference) request.powerPreference = options.powerPreference;
  let adapter: GPUAdapter | null;
  if (node && linux && !options.dawnFlags) {
    // A real GPU's driver first (Dawn's default, Vulkan); where there is none, as on a GPU-less
    // machine, OpenGL over Mesa (llvmpipe) in compatibility mode.
    adapter = await (await nodeGpu([])).requestAdapter(
      options.compatibility ? { ...request, featureLevel: 'compatibility' } : request,
    );
    if (!adapter) {
      adapter = await (await nodeGpu(['backend=opengl'])).requestAdapter(
        options.compatibility === false ? request : { ...request, featureLevel: 'compatibility' },
      );
    }
  } else {
    let gpu: GPU | undefined;
    if (node) gpu = await nodeGpu(options.dawnFlags ?? []);
    else {
      gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
      if (!gpu) {
        throw new Error(
          `webgpu backend: this browser has no navigator.gpu (WebGPU is disabled or unsupported; Chromium needs a secure context, or --enable-unsafe-webgpu); ${others()}`,
        );
      }
    }
    const compatibility = options.compatibility ?? (linux && options.dawnFlags?.includes('backend=opengl'));
    adapter = await gpu.requestAdapter(
      compatibility ? { ...request, featureLevel: 'compatibility' } : request,
    );
  }
  if (!adapter) {
    throw new Error(
      `webgpu backend: no GPU adapter${linux ? ' (in Node on Linux, Dawn needs a Vulkan driver, or Mesa for OpenGL: apt-get install libegl1 libgl1-mesa-dri, and EGL_PLATFORM=surfaceless)' : ''}; ${others()}`,
    );
  }
  const required = options.requiredFeatures ?? [];
  for (const f of required) {
    if (!adapter.features.has(f)) {
      throw new Error(
        `webgpu backend: the adapter lacks feature '${f}' (it has: ${[...adapter.features].join(', ') || 'none'})`,
      );
    }
  }
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: required,
    requiredLimits: {
      maxStorageBuffersPerShaderStage: Math.min(8, l.maxStorageBuffersPerShaderStage),
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
    },
  });
  const info = adapter.info;
  const adapterInfo = [info?.vendor, info?.architecture, info?.device, info?.description]
    .filter((s) => s)
    .join(' ');
  return { device, adapterInfo: adapterInfo || 'unknown adapter', owned: true };
}
