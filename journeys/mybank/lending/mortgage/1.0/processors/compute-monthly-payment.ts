/**
 * The monthly payment of an annuity mortgage: `loan * r / (1 - (1 + r)^-n)` with the monthly
 * rate r and n months, rounded up to the cent. The language has no powers, so MakeOffer runs this
 * processor after setting `annualRateBps`.
 */
import type { ActionProcessor } from '../../../../../../dsl/index.js';
import type { MortgageData } from '../generated/types.js';

const computeMonthlyPayment: ActionProcessor = (input) => {
  // The evaluator hands over data that fits the data schema, whose type this is.
  const data = input.data as unknown as MortgageData;
  const { loanAmount, termMonths } = data;
  const rate = (data.annualRateBps ?? 0) / 10_000 / 12;
  const payment = rate === 0 ? loanAmount / termMonths : (loanAmount * rate) / (1 - (1 + rate) ** -termMonths);
  const changes: Pick<MortgageData, 'monthlyPayment'> = { monthlyPayment: Math.ceil(payment) };
  return { data: changes };
};
export default computeMonthlyPayment;
