export {
  ConfigError,
  loadConfig,
  requiredEnvNames,
  allEnvNames,
  serverEnv,
  databaseEnv,
  redisEnv,
  kafkaEnv,
  jwtEnv,
  type EnvShape,
} from './config';
