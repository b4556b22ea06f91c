import { QueryFailedError } from 'typeorm';

interface DriverError {
  code?: string;
  errno?: number;
  sqlMessage?: string;
}

function driverError(error: unknown): DriverError | undefined {
  if (error instanceof QueryFailedError) return error.driverError as DriverError;
  return undefined;
}

/** A unique index refused the row; `key` narrows it to one index by name. */
export function isDuplicateKeyError(error: unknown, key?: string): boolean {
  const driver = driverError(error);
  if (driver?.code !== 'ER_DUP_ENTRY') return false;
  return key === undefined || (driver.sqlMessage ?? '').includes(key);
}

/** A CHECK constraint refused the row (MariaDB 4025, MySQL 3819). */
export function isCheckConstraintError(error: unknown, constraint?: string): boolean {
  const driver = driverError(error);
  if (driver?.errno !== 4025 && driver?.errno !== 3819) return false;
  return constraint === undefined || (driver.sqlMessage ?? '').includes(constraint);
}

/** A value past its column's range (stock + delta beyond INT): 1264 in strict mode, 1690 for arithmetic. */
export function isOutOfRangeError(error: unknown): boolean {
  const driver = driverError(error);
  return driver?.errno === 1264 || driver?.errno === 1690;
}

/** InnoDB chose this transaction as a deadlock victim (1213): it rolled back and may be retried. */
export function isDeadlockError(error: unknown): boolean {
  return driverError(error)?.errno === 1213;
}

/**
 * A foreign key refused the statement: `'referenced'` when a row others point at was to be deleted
 * (1451), `'missing'` when a row was to point at one that does not exist (1452).
 */
export function foreignKeyRefusal(error: unknown, constraint?: string): 'referenced' | 'missing' | undefined {
  const driver = driverError(error);
  if (driver?.errno !== 1451 && driver?.errno !== 1452) return undefined;
  if (constraint !== undefined && !(driver.sqlMessage ?? '').includes(constraint)) return undefined;
  return driver.errno === 1451 ? 'referenced' : 'missing';
}
