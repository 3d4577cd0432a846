/**
 * `@myelin/core/kit`: the toolkit for backend authors, Myelin's own and third parties'. Everything
 * here works on plain typed arrays (or views of a backend's own memory) and shapes, with the
 * semantics core's kernel contract asks for, so a new backend can take a reference kernel instead
 * of writing it again:
 *
 * - strided iteration: `StridedRuns` (an odometer over runs of the innermost dim, with broadcast,
 *   reduced and permuted operands), `broadcastStrides`, `accStrides`, `stridesWithoutAxis`,
 *   `aroundAxis`, `mergeDims` (for loops written in wasm or WGSL), `copyRange`, `copyRuns`;
 * - reference kernels: `HOST_KERNELS`, a kernel table over typed arrays (a backend adapts it once
 *   to its storage), and the functions it is made of: `gatherInto`, `scatterInto`, `indexSelectInto`, `sortInto`, `topKInto`,
 *   `scanInto`, `transposeInto`, `concatInto`, and the separable gathers behind Slice/Pad/Tile/Flip (`gatherSeparable` with
 *   `sliceMaps`, `padMaps`, `tileMaps`, `flipMaps`);
 * - backend plumbing: `wrapKernels` (a backend's own kernel form to core's `KernelTable`) and
 *   `HandleLedger` (the live handles and bytes that `memory()` reports).
 *
 * The CPU and wasm backends use these; `examples/backend-plugin` shows a backend written from
 * scratch. Nothing here touches core's tensors, engine or autograd.
 *
 * @example
 * import { gatherInto, HandleLedger, wrapKernels } from '@myelin/core/kit';
 */
export { HandleLedger, wrapKernels } from './backend.js';
export { HOST_KERNELS, type HostKernel, type HostKernelArgs, type HostKernelTable } from './host.js';
export {
  checkIndex,
  gatherInto,
  indexSelectInto,
  scanInto,
  scatterInto,
  sortInto,
  topKInto,
} from './indexing.js';
export {
  concatInto,
  flipMaps,
  gatherSeparable,
  padMaps,
  padSource,
  sliceMaps,
  tileMaps,
  transposeInto,
} from './movement.js';
export {
  accStrides,
  aroundAxis,
  broadcastStrides,
  copyRange,
  copyRuns,
  mergeDims,
  StridedRuns,
  stridesWithoutAxis,
} from './strided.js';
