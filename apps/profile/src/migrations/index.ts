import { CreateProfiles1764400000000 } from './1764400000000-create-profiles';

/** In order; listed in the service spec (never synchronize). */
export const profileMigrations = [CreateProfiles1764400000000];
