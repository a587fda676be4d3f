export { PlatformModule, platformEnv, serviceOptions, migrate, main, type PlatformConfig, type PlatformSpec } from './platform';
