export {
  APP_NAMES,
  type AppName,
  appsSourceDir,
  type BuildOptions,
  type BuiltApp,
  buildApp,
  buildApps,
} from './build.js';
