/**
 * A worker thread of a large import: checks households with the registry's own validateHousehold
 * (the API's Joi rules, STYLE.md 20), the one step of an import that is pure CPU and needs no
 * database. Households come in and go out as plain JSON (structured clone).
 */
import { parentPort } from 'node:worker_threads';
import { validateHousehold } from '../../registry/household.service';

export interface ValidateRequest { id: number; households: unknown[] }
export interface ValidateResponse { id: number; results?: ReturnType<typeof validateHousehold>[]; error?: string }

parentPort!.on('message', (request: ValidateRequest) => {
  try {
    parentPort!.postMessage({ id: request.id, results: request.households.map((h) => validateHousehold(h)) } satisfies ValidateResponse);
  } catch (err) {
    parentPort!.postMessage({ id: request.id, error: err instanceof Error ? err.message : String(err) } satisfies ValidateResponse);
  }
});
