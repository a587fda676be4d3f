/**
 * A response body that is already JSON text (a cache entry, say): sent as it is instead of being parsed
 * into objects and serialised again. `T` names what the text holds, for the reader and the controller's
 * signature; the OpenAPI document still names the DTO.
 */
export class JsonText<T = unknown> {
  declare private readonly holds?: T;

  constructor(readonly text: string) {}
}

/** The reply serialiser of every service: JSON.stringify, except for text that is JSON already. */
export const serializeReply = (payload: unknown): string => (payload instanceof JsonText ? payload.text : JSON.stringify(payload));
