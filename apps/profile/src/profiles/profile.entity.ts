import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';

/** A user's public profile; the user id is auth's, the profile is created from auth's "user registered" event. */
@Entity('profiles')
export class Profile {
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId: string;

  @Column('varchar', { name: 'display_name', length: 80 })
  displayName: string;

  @Column('varchar', { length: 500, nullable: true })
  bio: string | null;

  @Column('uuid', { name: 'avatar_asset_id', nullable: true })
  avatarAssetId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @VersionColumn()
  version: number;
}
