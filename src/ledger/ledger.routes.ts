/** The ledger feature's routes (issue 6): imports and exports, mounted at /api/v1. */
import { Router } from 'express';
import { exportRouter } from './export.routes';
import { importRouter } from './import.routes';

export const ledgerRouter = Router();
ledgerRouter.use(importRouter);
ledgerRouter.use(exportRouter);
