/** The media settings features need (from MediaConfig), provided once by MediaModule. */
export class MediaSettings {
  constructor(
    readonly maxUploadBytes: number,
    readonly maxInputPixels: number,
    readonly publicBaseUrl: string,
    readonly consumerGroup: string,
    readonly workerEnabled: boolean,
    readonly crashAfterVariant?: string,
  ) {}
}
