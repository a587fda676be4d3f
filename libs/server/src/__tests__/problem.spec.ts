import { BadRequestException, NotFoundException } from '@nestjs/common';
import { DependencyUnavailableError, DomainError, NotFoundError, toProblem } from '../index';

describe('toProblem (RFC 9457)', () => {
  it('maps a domain error by its code and status', () => {
    const { problem, unexpected } = toProblem(new NotFoundError('product', '42'), '/catalog/products/42');
    expect(unexpected).toBe(false);
    expect(problem).toMatchObject({
      type: 'urn:problem:product.not_found',
      status: 404,
      code: 'product.not_found',
      detail: 'product 42 does not exist',
      instance: '/catalog/products/42',
      id: '42',
    });
  });

  it('carries retry-after for unavailable dependencies', () => {
    const { problem } = toProblem(new DependencyUnavailableError('database', 'primary down', 2));
    expect(problem).toMatchObject({ status: 503, retryAfter: 2, code: 'database.unavailable' });
  });

  it('lists validation messages', () => {
    const { problem } = toProblem(new BadRequestException(['price must not be negative', 'name is required']));
    expect(problem.status).toBe(400);
    expect(problem.errors).toEqual(['price must not be negative', 'name is required']);
  });

  it('keeps the message of a plain HTTP exception', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x')).problem.detail).toBe('Cannot GET /x');
  });

  it('maps framework 4xx errors by their statusCode', () => {
    const error = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toProblem(error).problem).toMatchObject({ status: 413, title: 'Content Too Large' });
  });

  it('hides the message of an unknown error behind an error id', () => {
    const { problem, unexpected } = toProblem(new Error('password=hunter2 leaked in SQL'));
    expect(unexpected).toBe(true);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(problem.errorId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('treats a subclass of DomainError with a custom status as that status', () => {
    class QuotaExceeded extends DomainError {
      constructor() {
        super('quota.exceeded', 'Too many uploads', 429);
      }
    }
    expect(toProblem(new QuotaExceeded()).problem.status).toBe(429);
  });
});
