// The hint a PostgreSQL failure gets depends on its cause: a stopped server or a dropped connection
// must never be reported as missing privileges, and a privilege error names the privileges.
import { describe, expect, test } from '@jest/globals';
import { queryFailure, serverGone } from '../../src/postgres/query.js';

const BACKUP = { what: 'stopping the backup', command: 'backup-push' };

describe('queryFailure', () => {
  const stopped = 'the server stopped during the backup; start it and run backup-push again';
  test.each([
    ['57P01 admin shutdown', { code: '57P01', message: 'terminating connection due to administrator command' }, stopped],
    ['57P02 crash shutdown', { code: '57P02', message: 'terminating connection because of crash of another server process' }, stopped],
    ['57P03 cannot connect now', { code: '57P03', message: 'the database system is shutting down' }, stopped],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), stopped],
    ['node-postgres: terminated', new Error('Connection terminated unexpectedly'), stopped],
    ['node-postgres: not queryable', new Error('Client has encountered a connection error and is not queryable'), stopped],
  ])('%s: the server stopped', (_name, err, hint) => {
    const failure = queryFailure(BACKUP, err);
    expect(serverGone(err)).toBe(true);
    expect(failure).toMatchObject({ code: 'POSTGRES_ERROR', exitCode: 9, hint });
    expect(failure.message).toMatch(/^stopping the backup failed: /);
  });

  test('42501: the privileges', () => {
    const failure = queryFailure(BACKUP, { code: '42501', message: 'permission denied for function pg_backup_start' });
    expect(failure.hint).toMatch(/lacks a privilege .*pg_backup_start/);
    expect(failure.hint).not.toMatch(/server stopped/);
  });

  test('anything else points at the server log and names the command to rerun', () => {
    const failure = queryFailure({ what: 'switching to a new WAL segment', command: 'check' }, { code: '55000', message: 'recovery is in progress' });
    expect(failure.message).toBe('switching to a new WAL segment failed: recovery is in progress');
    expect(failure.hint).toMatch(/server log .* run check again/);
  });

  test('another command than backup-push gets its own rerun advice', () => {
    expect(queryFailure({ what: 'reading pg_stat_archiver', command: 'check' }, { code: '57P01', message: 'x' }).hint).toBe('the server stopped during check; start it and run check again');
  });
});
