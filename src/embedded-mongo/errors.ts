// MongoDB's error codes and names, so that drivers and Mongoose classify failures exactly as they
// would against mongod (source: mongo/src/mongo/base/error_codes.yml).
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  FailedToParse: 9,
  TypeMismatch: 14,
  InvalidLength: 16,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  WriteConflict: 112,
  CommandNotSupported: 115,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  TransactionTooOld: 225,
  OperationNotSupportedInTransaction: 263,
  Location16755: 16755,
  DuplicateKey: 11000,
  CannotCreateIndex: 67,
  NotImplemented: 238,
  // Assertion codes mongod reports for specific parse errors ("Location<code>").
  Location31253: 31253,
  Location31254: 31254,
  Location40324: 40324,
  Location40323: 40323,
  Location16410: 16410,
  Location17276: 17276,
  Location15974: 15974,
  Location51091: 51091,
  Location31395: 31395,
  Location15958: 15958,
  Location15956: 15956,
  PathNotViable: 28,
  InvalidPipelineOperator: 168,
  ConversionFailure: 241,
  Location16702: 16702,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

const NAMES = new Map<number, string>(Object.entries(ErrorCodes).map(([k, v]) => [v, k]));

/** A failure that becomes `{ok: 0, errmsg, code, codeName, errorLabels?}` on the wire. */
export class MongoCommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly errorLabels: string[];
  /** Extra reply fields (keyPattern/keyValue for duplicate keys). */
  readonly extra: Record<string, unknown>;

  constructor(codeName: ErrorCodeName, message: string, opts: { labels?: string[]; extra?: Record<string, unknown> } = {}) {
    super(message);
    this.code = ErrorCodes[codeName];
    this.codeName = codeName;
    this.errorLabels = opts.labels ?? [];
    this.extra = opts.extra ?? {};
  }

  toReply(): Record<string, unknown> {
    const reply: Record<string, unknown> = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length > 0) reply.errorLabels = this.errorLabels;
    return reply;
  }
}

export function unsupported(feature: string): MongoCommandError {
  return new MongoCommandError('CommandNotSupported', `${feature} is not supported by the embedded MongoDB engine`);
}

export function codeName(code: number): string {
  return NAMES.get(code) ?? 'UnknownError';
}

/**
 * mingo throws plain MingoErrors that lose MongoDB's codes; the driver and the application
 * branch on codes (e.g. 40 ConflictingUpdateOperators), so we translate by message.
 */
export function fromMingoError(err: unknown): MongoCommandError {
  if (err instanceof MongoCommandError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/is not registered|unknown (expression )?operator|unrecognized expression/i.test(message) && !/query operator|top level/i.test(message)) {
    return new MongoCommandError('InvalidPipelineOperator', message);
  }
  if (/\$concat/.test(message)) return new MongoCommandError('Location16702', message);
  if (/cannot convert|conversion/i.test(message)) return new MongoCommandError('ConversionFailure', message);
  if (/array of numbers|numeric|must resolve to (a )?number/i.test(message)) return new MongoCommandError('TypeMismatch', message);
  if (/immutable field/i.test(message)) return new MongoCommandError('ImmutableField', message);
  if (/would create a conflict/i.test(message)) return new MongoCommandError('ConflictingUpdateOperators', message);
  if (/unknown (top level |query |projection )?operator|unrecognized|unknown (pipeline|expression|accumulator)|invalid|must be|expected|cannot|not a valid/i.test(message)) {
    return new MongoCommandError('BadValue', message);
  }
  if (/parse/i.test(message)) return new MongoCommandError('FailedToParse', message);
  return new MongoCommandError('BadValue', message);
}

/** mingo's MingoError class is not exported and keeps the default `name`, so match the constructor. */
export function isMingoError(err: unknown): err is Error {
  return err instanceof Error && err.constructor?.name === 'MingoError';
}
