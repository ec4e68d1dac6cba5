/**
 * The monthly payment of an annuity mortgage: `loan * r / (1 - (1 + r)^-n)` with the monthly
 * rate r and n months, rounded up to the cent. The language has no powers, so MakeOffer runs this
 * processor after setting `annualRateBps`.
 */
import type { ActionProcessor } from '../../../../../../dsl/index.js';

const computeMonthlyPayment: ActionProcessor = ({ data }) => {
  const loan = Number(data.loanAmount);
  const months = Number(data.termMonths);
  const rate = Number(data.annualRateBps) / 10_000 / 12;
  const payment = rate === 0 ? loan / months : (loan * rate) / (1 - (1 + rate) ** -months);
  return { data: { monthlyPayment: Math.ceil(payment) } };
};
export default computeMonthlyPayment;
