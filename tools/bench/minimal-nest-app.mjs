// The framework reference for the catalog benchmark: a minimal NestJS 11 + Fastify app with one
// controller returning the same cached JSON from Redis (GET /) and a route with no I/O (GET /health/live),
// and nothing else: no logging, validation, metrics, security headers or request context. What the
// services cost beyond this is the platform's per-request work. Decorators are applied as functions so
// the file runs without a compiler.
import 'reflect-metadata';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import Redis from 'ioredis';

const REDIS = Symbol('redis');
const key = process.env.BENCH_KEY;

class ValueController {
  constructor(redis) {
    this.redis = redis;
  }
  value() {
    return this.redis.get(key);
  }
  live() {
    return { status: 'ok' };
  }
}
Inject(REDIS)(ValueController, undefined, 0);
const route = (decorator, name) => decorator(ValueController.prototype, name, Object.getOwnPropertyDescriptor(ValueController.prototype, name));
route(Get(), 'value');
route(Get('health/live'), 'live');
Controller()(ValueController);

class AppModule {}
Module({ controllers: [ValueController], providers: [{ provide: REDIS, useFactory: () => new Redis(process.env.REDIS_URL) }] })(AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.stdout.write('listening\n');

// Exit normally on SIGTERM, so a --cpu-prof profile is written.
process.on('SIGTERM', () => process.exit(0));
