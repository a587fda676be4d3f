import { Injectable } from '@nestjs/common';

/** Flipped when SIGTERM arrives so readiness fails before the server stops accepting requests. */
@Injectable()
export class ShutdownState {
  private draining = false;

  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }
}
