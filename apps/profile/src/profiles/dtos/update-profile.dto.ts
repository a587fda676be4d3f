import { ApiPropertyOptional } from '@nestjs/swagger';
import { MinProperties, STORED_TEXT_PATTERN, StoredText, UUID_PROPERTY } from '@saas/server';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUUID, Length, Matches, MaxLength, ValidateIf } from 'class-validator';

const DISPLAY_NAME_MAX = 80;
/** No NUL (see StoredText), and something besides spaces, tabs and line breaks (the server trims those). */
const DISPLAY_NAME_PATTERN = '^[^\\u0000]*[^\\u0000 \\t\\r\\n][^\\u0000]*$';
const codePoints = (value: string) => [...value].length;
// Trimmed of the spaces the pattern ignores, but only when the raw value is within the limit: a name
// the document calls too long is refused as sent, never shortened into a valid one.
const trim = ({ value }: { value: unknown }) =>
  typeof value === 'string' && codePoints(value) <= DISPLAY_NAME_MAX ? value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '') : value;

/** Fields a user may change (at least one); unknown fields are rejected (400), `null` clears bio or avatar. */
@MinProperties(1, 'send at least one of displayName, bio, avatarAssetId')
export class UpdateProfileDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: DISPLAY_NAME_MAX, pattern: DISPLAY_NAME_PATTERN, description: 'Leading and trailing spaces are dropped' })
  @ValidateIf((_, value) => value !== undefined)
  @Transform(trim)
  @IsString()
  @Length(1, DISPLAY_NAME_MAX)
  @Matches(new RegExp(DISPLAY_NAME_PATTERN), { message: 'displayName may not be blank or contain NUL characters' })
  displayName?: string;

  @ApiPropertyOptional({ type: String, maxLength: 500, pattern: STORED_TEXT_PATTERN, nullable: true, description: '`null` clears it' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @StoredText()
  bio?: string | null;

  @ApiPropertyOptional({ ...UUID_PROPERTY, nullable: true, description: 'A media asset id; `null` clears it' })
  @IsOptional()
  @IsUUID()
  avatarAssetId?: string | null;
}
