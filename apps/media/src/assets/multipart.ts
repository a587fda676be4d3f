import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import { MediaSettings } from './media-settings';

/**
 * Registers @fastify/multipart on this app's Fastify instance (the platform's bootstrap is shared
 * by every service; only media parses multipart). Limits are set again per request in UploadsService.
 */
@Injectable()
export class MultipartSupport implements OnModuleInit {
  constructor(
    private readonly host: HttpAdapterHost,
    private readonly settings: MediaSettings,
  ) {}

  async onModuleInit(): Promise<void> {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    await fastify.register(multipart, {
      limits: { fileSize: this.settings.maxUploadBytes, files: 1, fields: 4, parts: 5, fieldSize: 1024 },
    });
  }
}
