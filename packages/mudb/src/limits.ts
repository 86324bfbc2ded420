/** Most entries one listing page or range returns. */
export const MAX_PAGE = 10_000;
/** Entries per page when the caller does not say. */
export const DEFAULT_PAGE = 1000;
