/**
 * Every registered step against the plain-JS (float64) reference it declares next to its code:
 * the suite enumerates the step registry, so a new step is covered without editing a list.
 */
import { allSteps } from '../../src/steps/registry.js';
import { describeStepSuite } from './stepSuite.js';

describeStepSuite(allSteps());
