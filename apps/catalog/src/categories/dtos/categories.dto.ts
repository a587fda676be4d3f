import { ApiProperty } from '@nestjs/swagger';
import { STORED_TEXT_PATTERN, StoredText, UUID_PROPERTY } from '@saas/server';
import { IsString, Length, Matches } from 'class-validator';

const SLUG_PATTERN = '^[a-z0-9]+(-[a-z0-9]+)*$';

export class CreateCategoryDto {
  @ApiProperty({ minLength: 1, maxLength: 100, pattern: STORED_TEXT_PATTERN })
  @IsString()
  @Length(1, 100)
  @StoredText()
  name: string;

  @ApiProperty({ example: 'kitchen-tools', minLength: 1, maxLength: 60, pattern: SLUG_PATTERN, description: 'Lower-case words joined by -; unique' })
  @IsString()
  @Matches(new RegExp(SLUG_PATTERN), { message: 'slug must be lower-case words joined by -' })
  @Length(1, 60)
  slug: string;
}

export class CategoryDto {
  @ApiProperty(UUID_PROPERTY) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ pattern: SLUG_PATTERN }) slug: string;
}
