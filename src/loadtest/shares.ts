/** Shares of the planned capacity a capacity sweep runs at: light load up to just past saturation. */
export const CAPACITY_SHARES = [0.25, 0.5, 0.75, 0.9, 1, 1.1] as const;
