/**
 * THE error catalogue (STYLE.md 8): every machine-readable code the API answers with, its HTTP
 * status and its default message. Tests assert on `code`. Features add their codes here, in
 * their own group.
 */

export const errorCatalogue = {
  // ---- generic
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid' },
  INVALID_JSON: { status: 400, message: 'The request body is not valid JSON' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required' },
  FORBIDDEN: { status: 403, message: 'You may not do this' },
  NOT_FOUND: { status: 404, message: 'No such resource' },
  CONFLICT: { status: 409, message: 'The request conflicts with the stored data' },
  DUPLICATE_KEY: { status: 409, message: 'A record with this key already exists' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests; try again later' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable; try again shortly' },

  // ---- registry (households and members)
  HOUSEHOLD_NOT_FOUND: { status: 404, message: 'No such household' },
  MEMBER_NOT_FOUND: { status: 404, message: 'No such member in this household' },
  HOUSEHOLD_EXISTS: { status: 409, message: 'A household with this code already exists' },
  VERSION_CONFLICT: { status: 409, message: 'The household was changed by someone else; reload it and try again' },
  PERSON_IN_OTHER_HOUSEHOLD: { status: 409, message: 'This person is already registered in another household' },
  DUPLICATE_MEMBER: { status: 409, message: 'This person is already a member of this household' },
  HEAD_REQUIRED: { status: 400, message: 'A household must have exactly one head (户主)' },
  FIELD_NOT_WRITABLE: { status: 400, message: 'You may not write this field' },
  REGION_OUT_OF_SCOPE: { status: 403, message: 'The region is outside your scope' },
  INVALID_ID_NUMBER: { status: 400, message: 'The ID number is not valid' },

  // ---- regions
  REGION_NOT_FOUND: { status: 404, message: 'No such region' },

  // ---- eligibility
  RUN_NOT_FOUND: { status: 404, message: 'No such eligibility run' },
  RUN_NOT_FINISHED: { status: 409, message: 'The eligibility run has not finished yet' },

  // ---- ledger import (SECURITY.md "Excel in"); row-level codes live in the job's errors
  IMPORT_NOT_FOUND: { status: 404, message: 'No such import' },
  IMPORT_LAYOUT_UNKNOWN: { status: 400, message: 'No such ledger layout' },
  IMPORT_FILE_REQUIRED: { status: 400, message: 'Send the ledger as the multipart field "file"' },
  IMPORT_FILE_TOO_LARGE: { status: 413, message: 'The file is larger than the import limit' },
  IMPORT_NOT_XLSX: { status: 400, message: 'The file is not a readable .xlsx workbook' },
  IMPORT_ZIP_BOMB: { status: 400, message: 'The workbook inflates far beyond its size; refused' },
  IMPORT_TOO_MANY_ROWS: { status: 400, message: 'The sheet has more rows than the import limit' },
  IMPORT_TOO_MANY_COLUMNS: { status: 400, message: 'The sheet has more columns than the import limit' },
  IMPORT_HEADER_NOT_FOUND: { status: 400, message: 'No sheet has the header of this layout' },

  // ---- users, login and audit
  INVALID_CREDENTIALS: { status: 401, message: 'Wrong username or password' },
  TOO_MANY_ATTEMPTS: { status: 429, message: 'Too many failed logins; wait before trying again' },
  WRONG_PASSWORD: { status: 400, message: 'The current password is wrong' },
  USER_NOT_FOUND: { status: 404, message: 'No such user' },
  USERNAME_TAKEN: { status: 409, message: 'A user with this username already exists' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? errorCatalogue[code].message);
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.details = details ?? null;
  }
}

/** The body every error response carries. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: unknown };
}

export function errorBody(code: ErrorCode, message?: string, details?: unknown): ErrorBody {
  return { error: { code, message: message ?? errorCatalogue[code].message, details: details ?? null } };
}
