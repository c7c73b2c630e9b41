// (a) plain Node ESM: import the package, compute losses and gradients, print them as JSON.
import * as tf from '@tensorflow/tfjs';
import * as poseloss from 'poseloss';
import { runCases } from './cases.js';

const backend = await poseloss.initBackend();
console.log(JSON.stringify({ backend: backend.name, results: await runCases(tf, poseloss) }));
