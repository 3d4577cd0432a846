import { libraryConfig } from '../../tsup.library';

// Two entries: `@myelin/core` and `@myelin/core/kit` (the backend author's toolkit: typed-array
// reference kernels and backend plumbing). The kit holds pure functions and classes of its own, so
// the copies of shape helpers it bundles carry no state that must be shared with the main entry.
export default libraryConfig(['src/index.ts', 'src/kit/index.ts']);
