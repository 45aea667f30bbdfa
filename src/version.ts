// The version recorded in sentinels and stamps; kept equal to package.json by a unit test.
export const PGWARD_VERSION = '0.1.0';
