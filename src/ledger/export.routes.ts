/**
 * Ledger exports over HTTP (DESIGN.md "HTTP API": `GET /exports/ledger.xlsx|.csv`, per-category
 * ledgers). Thin: validate, then hand the response stream to the export service, which scopes,
 * masks, writes and logs. A client that goes away aborts the export: the cursor stops.
 */
import { Router, type Response } from 'express';
import { validate } from '../http/validate';
import { labelOf, supportCategory, type SupportCategory } from '../registry/vocabulary';
import { actorOf, authenticate, requirePermission } from '../users/auth.middleware';
import { categoryExportSchema, ledgerExportSchema } from './export/export.schema';
import { exportCategoryLedger, exportLedger, exportRegion, type LedgerFilter } from './export/export.service';

export const exportRouter = Router();

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** An AbortSignal that fires when the response closes before it was finished. */
function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function startDownload(res: Response, type: string, filename: string): void {
  res.status(200);
  res.type(type);
  res.attachment(filename);
  res.set('Cache-Control', 'no-store');
}

exportRouter.get('/exports/ledger.xlsx', authenticate, requirePermission('export'), validate(ledgerExportSchema), async (_req, res) => {
  const query = res.locals.query as LedgerFilter;
  // Scope first: a 404 must go out as JSON, before the download headers are set; the service
  // checks it again (the command line calls it directly).
  const regionCode = exportRegion(actorOf(res), query.regionCode);
  startDownload(res, XLSX, `台账-${regionCode}.xlsx`);
  await exportLedger(actorOf(res), query, 'xlsx', res, { signal: abortOnClose(res) });
});

exportRouter.get('/exports/ledger.csv', authenticate, requirePermission('export'), validate(ledgerExportSchema), async (_req, res) => {
  const query = res.locals.query as LedgerFilter;
  const regionCode = exportRegion(actorOf(res), query.regionCode);
  startDownload(res, 'text/csv; charset=utf-8', `台账-${regionCode}.csv`);
  await exportLedger(actorOf(res), query, 'csv', res, { signal: abortOnClose(res) });
});

exportRouter.get('/exports/category/:category.xlsx', authenticate, requirePermission('export'), validate(categoryExportSchema), async (_req, res) => {
  const category = (res.locals.params as { category: SupportCategory }).category;
  const query = res.locals.query as { regionCode?: string; asOf?: string };
  const regionCode = exportRegion(actorOf(res), query.regionCode);
  startDownload(res, XLSX, `${labelOf(supportCategory, category)}台账-${regionCode}.xlsx`);
  await exportCategoryLedger(actorOf(res), { category, ...query }, res, { signal: abortOnClose(res) });
});
