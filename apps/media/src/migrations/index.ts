import { CreateAssets1764500000000 } from './1764500000000-create-assets';

/** In order; listed in the service spec (never synchronize). */
export const mediaMigrations = [CreateAssets1764500000000];
