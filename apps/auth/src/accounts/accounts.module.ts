import { Module } from '@nestjs/common';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { TokensService } from './tokens.service';

@Module({ controllers: [AccountsController], providers: [AccountsService, TokensService] })
export class AccountsModule {}
