import { Matches } from 'class-validator';

/**
 * Text that is stored: anything but NUL, which PostgreSQL's text cannot hold (it would be a 500).
 * Put the pattern in the property's schema and the decorator on the property, so both say the same.
 */
export const STORED_TEXT_PATTERN = '^[^\\u0000]*$';

export const StoredText = () => Matches(new RegExp(STORED_TEXT_PATTERN), { message: '$property may not contain NUL characters' });
