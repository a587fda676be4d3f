import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Omittable, STORED_TEXT_PATTERN, StoredText, UUID_PROPERTY } from '@saas/server';
import { IsEmail, IsString, Length, MaxLength, MinLength } from 'class-validator';

// Unknown properties are refused (400) by the global ValidationPipe; the schemas say so
// (`additionalProperties: false`, added to every DTO by libs/server's document finalizer).

export class RegisterDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 12, maxLength: 128 })
  @IsString()
  @MinLength(12)
  @MaxLength(128)
  password: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 80, pattern: STORED_TEXT_PATTERN })
  @IsString()
  @Length(1, 80)
  @StoredText()
  displayName: string;
}

export class LoginDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com', maxLength: 254 })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  password: string;
}

export class RefreshDto {
  @ApiProperty({ description: 'The opaque refresh token from login or the previous refresh', minLength: 20, maxLength: 200 })
  @IsString()
  @Length(20, 200)
  refreshToken: string;
}

export class LogoutDto {
  @ApiPropertyOptional({ description: 'Revokes this session (the whole refresh-token family) too', minLength: 20, maxLength: 200 })
  @Omittable()
  @IsString()
  @Length(20, 200)
  refreshToken?: string;
}

export class UpdateMeDto {
  @ApiProperty({ minLength: 1, maxLength: 80, pattern: STORED_TEXT_PATTERN })
  @IsString()
  @Length(1, 80)
  @StoredText()
  displayName: string;
}

export class UserDto {
  @ApiProperty(UUID_PROPERTY) id: string;
  @ApiProperty({ description: 'Lower-cased at registration' }) email: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ type: 'array', items: { type: 'string', enum: ['user', 'admin'] }, example: ['user'] }) roles: ('user' | 'admin')[];
}

export class TokensDto {
  @ApiProperty({ description: 'RS256 JWT; send as `Authorization: Bearer <accessToken>`' }) accessToken: string;
  @ApiProperty({ description: 'Opaque; works once (POST /auth/refresh)' }) refreshToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ type: 'integer', minimum: 1, description: 'Access token lifetime in seconds' }) expiresIn: number;
  @ApiProperty({ type: UserDto }) user: UserDto;
}

export class JwkDto {
  @ApiProperty({ enum: ['RSA'] }) kty: 'RSA';
  @ApiProperty({ description: 'Modulus (base64url)' }) n: string;
  @ApiProperty({ description: 'Exponent (base64url)' }) e: string;
  @ApiProperty() kid: string;
  @ApiProperty({ enum: ['RS256'] }) alg: 'RS256';
  @ApiProperty({ enum: ['sig'] }) use: 'sig';
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto], description: 'Every key that verifies; the first one signs' }) keys: JwkDto[];
}
