import { MigrationInterface, QueryRunner } from 'typeorm';

export class CanonicalEmails1764290000000 implements MigrationInterface {
  name = 'CanonicalEmails1764290000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Emails are stored in one canonical form (NFKC, lower case) and compared byte for byte, as
    // the per-account sign-in limit keys them: unicode_ci made `ána@` and `ana@` one account.
    await queryRunner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE `users` MODIFY `email` varchar(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL');
  }
}
