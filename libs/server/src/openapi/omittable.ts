import { ValidateIf } from 'class-validator';

/**
 * An optional field that, when sent, must be valid: absent is fine, `null` is not (class-validator's
 * `IsOptional()` lets `null` through, which the document — a non-nullable property — calls invalid).
 * Use `IsOptional()` only for fields the schema marks `nullable`.
 */
export const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);
