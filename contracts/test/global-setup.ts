import { loadFixtures } from './helpers/fixtures.js';

/** Compiles the Solidity test fixtures once (cached under .cache/) before the test files run in parallel. */
export default function setup(): void {
  loadFixtures();
}
