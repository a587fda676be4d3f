import { DECORATORS } from '@nestjs/swagger';
import { registerDecorator, type ValidationArguments } from 'class-validator';

/** The validation slot the rule hangs on; never a real field (a body that sends it is refused). */
const SLOT = '\u0000minProperties';

/**
 * A partial update must change something: `minProperties` in the DTO's schema, and the same rule in
 * the global ValidationPipe, so `PATCH {}` answers 400 exactly as the document says.
 */
export function MinProperties(min: number, message: string): ClassDecorator {
  return (target) => {
    const extensions = (Reflect.getMetadata(DECORATORS.API_EXTENSION, target) as Record<string, unknown> | undefined) ?? {};
    // Nest spreads a class's extension metadata into its schema object (that is how `x-` keys land there).
    Reflect.defineMetadata(DECORATORS.API_EXTENSION, { ...extensions, minProperties: min }, target);
    registerDecorator({
      name: 'minProperties',
      target,
      propertyName: SLOT,
      constraints: [min],
      options: { message },
      validator: {
        validate(_value: unknown, args: ValidationArguments) {
          const body = args.object as Record<string, unknown>;
          if (Object.prototype.hasOwnProperty.call(body, SLOT)) return false;
          return Object.keys(body).filter((key) => body[key] !== undefined).length >= min;
        },
      },
    });
  };
}
