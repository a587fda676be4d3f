import { Body, Controller, Get, Module, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { IsString, MaxLength } from 'class-validator';
import { Column, Entity, type MigrationInterface, PrimaryGeneratedColumn, type QueryRunner } from 'typeorm';
import { NotFoundError } from '@saas/server';
import { Database } from '../index';

@Entity('notes')
export class Note {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  body: string;
}

export class CreateNotes1700000000000 implements MigrationInterface {
  name = 'CreateNotes1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('create table notes (id uuid primary key default gen_random_uuid(), body text not null)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('drop table notes');
  }
}

class CreateNoteDto {
  @IsString()
  @MaxLength(200)
  body: string;
}

/** A minimal feature using the data lib the way services do: write on the primary, read through read(). */
@Controller('notes')
export class NotesController {
  constructor(private readonly db: Database) {}

  @Post()
  create(@Body() dto: CreateNoteDto) {
    return this.db.write((em) => em.getRepository(Note).save({ body: dto.body }));
  }

  /** Write then read in one request: the read must see the write (primary). */
  @Post('and-read')
  async createAndRead(@Body() dto: CreateNoteDto) {
    const note = await this.db.write((em) => em.getRepository(Note).save({ body: dto.body }));
    return this.db.read((em) => em.getRepository(Note).findOneByOrFail({ id: note.id }));
  }

  @Get('where')
  where() {
    return this.db.read(async (em) => {
      const [row] = await em.query('select pg_is_in_recovery() as replica');
      return { replica: row.replica as boolean };
    });
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string) {
    const note = await this.db.read((em) => em.getRepository(Note).findOneBy({ id }));
    if (!note) throw new NotFoundError('note', id);
    return note;
  }
}

@Module({ controllers: [NotesController] })
export class NotesModule {}
