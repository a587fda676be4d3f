/** The variants the thumbnail worker makes for every image; names are fixed (they are part of URLs and storage keys). */
export const VARIANTS = [
  { name: 'thumb', width: 256, height: 256, fit: 'cover' },
  { name: 'medium', width: 1024, height: 1024, fit: 'inside' },
] as const;

export type VariantName = (typeof VARIANTS)[number]['name'];
export const VARIANT_NAMES: VariantName[] = VARIANTS.map((variant) => variant.name);
export const VARIANT_CONTENT_TYPE = 'image/webp';
