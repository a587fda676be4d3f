import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@saas/auth';
import { ApiProblems } from '@saas/server';
import { CategoriesService } from './categories.service';
import { CategoryDto, CreateCategoryDto } from './dtos/categories.dto';

@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Get()
  @ApiOperation({ summary: 'Every category, by name' })
  @ApiOkResponse({ type: [CategoryDto] })
  @ApiProblems(503)
  list(): Promise<CategoryDto[]> {
    return this.categories.list();
  }

  @Post()
  @Authenticated('admin')
  @ApiOperation({ summary: 'Create a category (admin)' })
  @ApiCreatedResponse({ type: CategoryDto })
  @ApiProblems(400, [409, 'A category with this slug exists'], 413, 415, 503)
  create(@Body() dto: CreateCategoryDto): Promise<CategoryDto> {
    return this.categories.create(dto);
  }
}
