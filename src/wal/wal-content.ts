// What a WAL file must look like before pgward archives it or hands it to PostgreSQL: a segment (or
// .partial) is checked against the cluster's system identifier and its own name; .history and
// .backup files are text with a known shape.
import { ClusterIdentityError, IntegrityError } from '../errors/errors.js';
import { checkSegment, WalHeaderError } from './page-header.js';
import type { WalFileName } from './wal-file-name.js';

const HISTORY_LINE = /^\d+\s+[0-9A-F]{1,8}\/[0-9A-F]{1,8}(\s.*)?$/;

export function checkWalContent(file: WalFileName, data: Buffer, systemIdentifier: string | undefined, where: string): void {
  if (file.kind === 'segment' || file.kind === 'partial') {
    try {
      if (systemIdentifier === undefined) return;
      checkSegment(data, data.length, file.segment!, systemIdentifier);
    } catch (err) {
      if (!(err instanceof WalHeaderError)) throw err;
      const foreign = err.kind === 'foreign-system';
      const Type = foreign ? ClusterIdentityError : IntegrityError;
      throw new Type(`${where} is not a WAL file of this cluster: ${err.message}`, {
        hint: foreign ? 'WAL from another cluster must never enter this archive: check archive_command and PGDATA' : 'nothing was stored; the file is damaged or not a WAL segment',
      });
    }
    return;
  }
  const text = data.toString('utf8');
  const ok =
    file.kind === 'history'
      ? text.split('\n').every((line) => line.trim() === '' || line.startsWith('#') || HISTORY_LINE.test(line.trim()))
      : text.startsWith('START WAL LOCATION:');
  if (!ok) {
    throw new IntegrityError(`${where} does not look like a ${file.kind === 'history' ? 'timeline history' : 'backup history'} file`, {
      hint: 'nothing was stored; check the file',
    });
  }
}
