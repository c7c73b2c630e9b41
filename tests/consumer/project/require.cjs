// (b) CommonJS: require() the package (Node >= 20.19 loads its ESM build through require).
const tf = require('@tensorflow/tfjs');
const poseloss = require('poseloss');
const { runCases } = require('./cases.js');

poseloss
  .initBackend()
  .then(async (backend) => console.log(JSON.stringify({ backend: backend.name, results: await runCases(tf, poseloss) })));
