/** A small typed expression language over named axes: parsed, checked and folded at build time; evaluated on tfjs or in plain float64 JS. */
export type { ExprIssue, Node } from './ast.js';
export { print } from './ast.js';
export { type Compiled, compileExpr, type Definition, type ExprEnv, type ExprSource } from './check.js';
export { evalJs, type JsEnv, type JsValue } from './evalJs.js';
export { bindSizes, evalTf } from './evalTf.js';
export { type Elementwise, FUNCTIONS, NEGATE, OPERATORS, REDUCTION_DOCS, REDUCTIONS, STRUCTURAL } from './functions.js';
export { parse } from './parse.js';
export { type Axis, axesStr, type Typed } from './typed.js';
