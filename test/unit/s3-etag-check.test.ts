// When the ETag a store answers contradicts the MD5 pgward computed: only for plain MD5 tags, never
// for KMS or customer-key encrypted objects, whose ETags are not MD5s of the content.
import { describe, expect, test } from '@jest/globals';
import { etagContradicts, md5 } from '../../src/storage/s3-upload.js';

const abc = md5(Buffer.from('abc')).hex;

describe('etagContradicts', () => {
  test.each([
    ['the same MD5, quoted', '"900150983cd24fb0d6963f7d28e17f72"', {}, false],
    ['the same MD5, bare and upper case', '900150983CD24FB0D6963F7D28E17F72', {}, false],
    ['another MD5', '"00000000000000000000000000000000"', {}, true],
    ['another MD5 under SSE-S3', '"00000000000000000000000000000000"', { ServerSideEncryption: 'AES256' }, true],
    ['a KMS-encrypted object', '"00000000000000000000000000000000"', { ServerSideEncryption: 'aws:kms' }, false],
    ['a DSSE-KMS object', '"00000000000000000000000000000000"', { ServerSideEncryption: 'aws:kms:dsse' }, false],
    ['a customer-key object', '"00000000000000000000000000000000"', { SSECustomerAlgorithm: 'AES256' }, false],
    ['a multipart-style tag', '"00000000000000000000000000000000-3"', {}, false],
    ['no tag at all', undefined, {}, false],
  ])('%s', (_name, etag, answer, expected) => {
    expect(abc).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(etagContradicts(etag, abc, answer)).toBe(expected);
  });
});
