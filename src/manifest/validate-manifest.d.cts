// Types for the validator scripts/build-validator.mjs generates into dist/ at build time.
import type { ErrorObject } from 'ajv';
declare const validate: {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
};
export = validate;
