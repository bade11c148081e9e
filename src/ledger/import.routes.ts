/**
 * Ledger imports over HTTP (DESIGN.md "HTTP API"): `POST /imports` (multipart: file, layout,
 * dryRun), `GET /imports/:id`, `GET /imports/:id/errors.xlsx`, and `POST /regions/import` (a
 * region list as Excel or CSV). Thin: receive the upload, call the service, send.
 *
 * POST /imports waits for the job up to IMPORT_WAIT_MS (5 s): a sample-sized ledger answers 200
 * with the finished job; a county-sized one answers 202 with the running job and a Location to
 * poll (GET /imports/:id). A refused file answers 400/413 with its code.
 */
import { Router } from 'express';
import Joi from 'joi';
import { AppError, type ErrorCode } from '../http/errors';
import { validate } from '../http/validate';
import { loadRegionsFromRows } from '../regions/region.service';
import { actorOf, authenticate, requirePermission } from '../users/auth.middleware';
import { writeErrorWorkbook } from './import/errors-workbook';
import { getImportJob, importErrorRows, importLimits, startImport, type ImportJobView } from './import/import.service';
import { readRegionRows } from './import/region-file';
import { receiveUpload } from './import/upload';

export const importRouter = Router();

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** How long POST /imports waits for the job before answering 202. */
export const importWait = { ms: 5000 };

const fieldsSchema = Joi.object({
  layout: Joi.string().pattern(/^[a-z][a-z0-9-]{1,40}$/).required(),
  dryRun: Joi.boolean().truthy('1', 'yes', 'on').falsy('0', 'no', 'off').default(false),
});

const idParams = { params: Joi.object({ id: Joi.string().hex().length(24).required() }) };

function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then((v) => {
      clearTimeout(timer);
      resolve(v);
    }, (err: unknown) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function refusal(job: ImportJobView): AppError {
  const code = (job.failure?.code ?? 'IMPORT_NOT_XLSX') as ErrorCode;
  return new AppError(code, job.failure?.message, { importId: job.id });
}

importRouter.post('/imports', authenticate, requirePermission('import'), async (req, res) => {
  const limits = importLimits();
  const upload = await receiveUpload(req, limits.maxBytes);
  let handedOver = false;
  try {
    const { value, error } = fieldsSchema.validate(upload.fields, { abortEarly: false, convert: true });
    if (error) {
      throw new AppError('VALIDATION_FAILED', error.details[0]?.message, error.details.map((d) => ({ path: d.path.join('.'), code: d.type, message: d.message })));
    }
    const { job, done } = await startImport({ file: upload.file, layout: value.layout, dryRun: value.dryRun, actor: actorOf(res), fileName: upload.fileName, sha256: upload.sha256 });
    handedOver = true;
    // The temporary file lives until the job has finished with it, however the request ends.
    done.catch(() => undefined).finally(upload.remove);
    const finished = await settleWithin(done, importWait.ms);
    if (!finished) {
      res.status(202).location(`${req.baseUrl}/imports/${job.id}`).json(await getImportJob(actorOf(res), job.id));
      return;
    }
    if (finished.status === 'failed') throw refusal(finished);
    res.status(200).json(finished);
  } finally {
    if (!handedOver) upload.remove();
  }
});

importRouter.get('/imports/:id', authenticate, requirePermission('import'), validate(idParams), async (_req, res) => {
  res.json(await getImportJob(actorOf(res), res.locals.params.id));
});

importRouter.get('/imports/:id/errors.xlsx', authenticate, requirePermission('import'), validate(idParams), async (_req, res) => {
  const rows = await importErrorRows(actorOf(res), res.locals.params.id);
  res.status(200).type(XLSX).attachment(`导入错误-${rows.job.id}.xlsx`).set('Cache-Control', 'no-store');
  await writeErrorWorkbook(res, { sheet: rows.sheet, headerTexts: rows.headerTexts, rows: rows.rows });
});

importRouter.post('/regions/import', authenticate, requirePermission('regions:write'), async (req, res) => {
  const limits = importLimits();
  const upload = await receiveUpload(req, limits.maxBytes, new Set());
  try {
    const rows = await readRegionRows(upload.file, limits);
    res.json(await loadRegionsFromRows(rows, actorOf(res)));
  } finally {
    upload.remove();
  }
});
