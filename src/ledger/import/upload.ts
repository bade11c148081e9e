/**
 * Receives a multipart upload (busboy) into a temporary file under os.tmpdir(), counting bytes as
 * they arrive: past the cap the request is answered 413 at once, without reading the rest into
 * memory or onto disk (SECURITY.md "Excel in"). Fields are returned as strings.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { AppError } from '../../http/errors';

export interface Upload {
  file: string;
  fileName: string | null;
  size: number;
  sha256: string;
  fields: Record<string, string>;
  /** Removes the temporary file. */
  remove(): void;
}

const FIELD_NAMES = new Set(['layout', 'dryRun']);

export async function receiveUpload(req: Request, maxBytes: number, fieldNames: ReadonlySet<string> = FIELD_NAMES): Promise<Upload> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) throw new AppError('IMPORT_FILE_REQUIRED', 'Send the ledger as multipart/form-data with the field "file"');
  const declared = Number(req.headers['content-length'] ?? 0);
  // The multipart envelope adds a little; a body declared far past the cap is refused unread.
  if (declared > maxBytes + 64 * 1024) throw new AppError('IMPORT_FILE_TOO_LARGE', `The file is larger than ${maxBytes} bytes`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fupin-upload-'));
  const file = path.join(dir, 'upload.bin');
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  let fileName: string | null = null;
  let size = 0;
  let sawFile = false;
  const hash = crypto.createHash('sha256');

  try {
    await new Promise<void>((resolve, reject) => {
      let bb: busboy.Busboy;
      try {
        bb = busboy({ headers: req.headers, limits: { files: 1, fields: 10, fieldSize: 1000, fileSize: maxBytes + 1, parts: 12 } });
      } catch {
        reject(new AppError('IMPORT_FILE_REQUIRED', 'The multipart body is malformed'));
        return;
      }
      let writing: Promise<void> | null = null;
      let failed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        req.unpipe(bb);
        req.resume();
        reject(err);
      };
      bb.on('field', (name, value) => {
        if (fieldNames.has(name)) fields[name] = value;
        else fail(new AppError('VALIDATION_FAILED', `Unknown field "${name}"`, [{ path: name, code: 'object.unknown', message: `"${name}" is not allowed` }]));
      });
      bb.on('file', (name, stream, info) => {
        if (name !== 'file' || sawFile) {
          stream.resume();
          if (name !== 'file') fail(new AppError('VALIDATION_FAILED', `Unknown file field "${name}"`, [{ path: name, code: 'object.unknown', message: `"${name}" is not allowed` }]));
          return;
        }
        sawFile = true;
        fileName = info.filename ? path.basename(info.filename).slice(0, 200) : null;
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            size += chunk.length;
            if (size > maxBytes) {
              done(new AppError('IMPORT_FILE_TOO_LARGE', `The file is larger than ${maxBytes} bytes`));
              return;
            }
            hash.update(chunk);
            done(null, chunk);
          },
        });
        writing = pipeline(stream, counter, fs.createWriteStream(file)).catch((err: unknown) => {
          stream.resume();
          fail(err);
        });
      });
      bb.on('error', () => fail(new AppError('IMPORT_FILE_REQUIRED', 'The multipart body is malformed')));
      bb.on('partsLimit', () => fail(new AppError('VALIDATION_FAILED', 'Too many parts in the upload')));
      bb.on('close', () => {
        Promise.resolve(writing).then(() => (failed ? undefined : resolve()), fail);
      });
      req.on('aborted', () => fail(new AppError('IMPORT_FILE_REQUIRED', 'The upload was interrupted')));
      req.pipe(bb);
    });
  } catch (err) {
    remove();
    throw err;
  }
  if (!sawFile || size === 0) {
    remove();
    throw new AppError('IMPORT_FILE_REQUIRED');
  }
  return { file, fileName, size, sha256: hash.digest('hex'), fields, remove };
}
