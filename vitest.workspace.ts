// Each package runs its own vitest project (its `vitest.config.ts`).
export default ["packages/*"]
