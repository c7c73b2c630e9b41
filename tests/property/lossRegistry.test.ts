/**
 * Every registered loss, and every registered compute step in a pipeline of its own (the loss
 * suite: fused = tfjs ops, keys, empty batch, leaks). The suites enumerate the registries: nothing to extend.
 */
import { lossNames } from '../../src/losses/registry.js';
import { allSteps } from '../../src/steps/registry.js';
import { describeComputePipelines, describeLossSuite } from './lossSuite.js';

describeLossSuite(lossNames());
describeComputePipelines(allSteps());
