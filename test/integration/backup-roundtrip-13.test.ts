import { describe } from '@jest/globals';
import { roundTrip } from './backup-roundtrip.js';

describe('backup round trip', () => roundTrip('13'));
