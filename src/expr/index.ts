/** A small typed expression language over named axes: parsed, checked and folded at build time; evaluated on tfjs or in plain float64 JS. */
export type { ExprIssue, Node } from './ast.js';
export { print } from './ast.js';
export { parse } from './parse.js';
export { compileExpr, type Compiled, type Definition, type ExprEnv, type ExprSource } from './check.js';
export { evalJs, type JsEnv, type JsValue } from './evalJs.js';
export { evalTf, bindSizes } from './evalTf.js';
export { FUNCTIONS, NEGATE, OPERATORS, REDUCTIONS, REDUCTION_DOCS, STRUCTURAL, type Elementwise } from './functions.js';
export { axesStr, type Axis, type Typed } from './typed.js';
