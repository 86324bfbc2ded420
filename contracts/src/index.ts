export * from './deployment.js';
export * from './errors.js';
export * from './generated/artifacts.js';
export * from './protocol.js';
export * from './receipts.js';
export * from './usage-reports.js';
