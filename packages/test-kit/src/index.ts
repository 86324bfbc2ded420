export {
  type CachedComponent,
  type ComponentizeCachedOptions,
  componentCachePath,
  componentizeCached,
  listWitFiles,
} from './component-cache.js';
export {
  type ImportSnippetOptions,
  importSnippet,
  type ReadmeSnippetOptions,
  readmeSnippet,
} from './readme-snippet.js';
export { type WaitUntilOptions, waitUntil } from './wait-until.js';
