// mingo's arithmetic treats Decimal128 as a non-number: $sum gives 0, $inc does nothing
// (ENGINE-NOTES.md). Rather than return a silently wrong figure we refuse arithmetic on
// Decimal128 operands. Checking costs a second evaluation of each operand, so it is switched
// on only once a Decimal128 has ever been stored.
import { Context, evalExpr } from 'mingo/core';
import * as accumulators from 'mingo/operators/accumulator';
import * as expressions from 'mingo/operators/expression';
import { unsupported } from './errors';
import { containsDecimal } from './keys';

let decimalsStored = false;

export function noteDecimals(doc: unknown): void {
  if (!decimalsStored && containsDecimal(doc)) decimalsStored = true;
}

const ACCUMULATORS = ['$sum', '$avg', '$stdDevPop', '$stdDevSamp', '$median', '$percentile'] as const;
const EXPRESSIONS = ['$add', '$subtract', '$multiply', '$divide', '$mod', '$sum', '$avg', '$abs', '$ceil', '$floor', '$round', '$trunc', '$pow', '$sqrt', '$exp', '$ln', '$log', '$log10', '$stdDevPop', '$stdDevSamp'] as const;

let context: Context | undefined;

function build(): Context {
  const acc: Record<string, any> = {};
  for (const name of ACCUMULATORS) {
    const orig = (accumulators as Record<string, any>)[name];
    if (!orig) continue;
    acc[name] = (coll: unknown[], expr: unknown, options: any) => {
      if (typeof expr !== 'number') {
        for (const d of coll) if (containsDecimal(evalExpr(d, expr, options))) throw unsupported(`Decimal128 arithmetic (${name})`);
      }
      return orig(coll, expr, options);
    };
  }
  const exp: Record<string, any> = {};
  for (const name of EXPRESSIONS) {
    const orig = (expressions as Record<string, any>)[name];
    if (!orig) continue;
    exp[name] = (obj: unknown, expr: unknown, options: any) => {
      if (containsDecimal(evalExpr(obj, expr, options))) throw unsupported(`Decimal128 arithmetic (${name})`);
      return orig(obj, expr, options);
    };
  }
  return Context.init({ accumulator: acc, expression: exp });
}

/** The operator overrides to pass to mingo, or undefined while no Decimal128 has been stored. */
export function decimalSafeContext(): Context | undefined {
  if (!decimalsStored) return undefined;
  return (context ??= build());
}
