// Stand-ins for what the testkit imports but a page never calls: vitest's registration functions
// (runConformance is not used in the page) and the Node modules behind `loadFixtures`.
const unavailable = () => {
  throw new Error('not available in the browser test page');
};
export const describe = unavailable;
export const it = Object.assign(unavailable, { skip: unavailable });
export const beforeAll = unavailable;
export const readdirSync = unavailable;
export const readFileSync = unavailable;
export const join = unavailable;
export const fileURLToPath = unavailable;
