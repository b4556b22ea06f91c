/** BIGINT columns come back from mysql2 as strings once they outgrow 2^53; ours never will. */
export const bigintAsNumber = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
