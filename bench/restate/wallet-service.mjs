// The peer's side of the benchmark: the pfm/wallet journey as a Restate virtual object, one per
// wallet key. Same rules as journeys/pfm/wallet/1.0/journey.jd: anyone deposits into an open
// wallet; only the owner withdraws, and only what the balance covers (else a business rejection).
// State is one JSON value read with ctx.get and written with ctx.set, like the engine's journey
// data. `seq` counts handled calls so the benchmark can check exactness the same way for both.
//
// Run: node --import ./polyfill.mjs wallet-service.mjs <port>   (binds 127.0.0.1 only)
import http2 from 'node:http2';
import * as restate from '@restatedev/restate-sdk';

const rejected = (state, code, message) => ({ outcome: 'rejected', rejection: { code, message }, seq: state ? state.seq : 0, data: state ? state.data : null });

async function handled(ctx, state, data) {
  const next = { seq: state.seq + 1, data };
  ctx.set('wallet', next);
  return { outcome: 'applied', seq: next.seq, data };
}

const wallet = restate.object({
  name: 'wallet',
  handlers: {
    async open(ctx, request) {
      const state = await ctx.get('wallet');
      if (state) return rejected(state, 'ALREADY_OPEN', 'the wallet exists');
      const data = { owner: request.owner, currency: request.currency, balance: 0, status: 'open', deposits: 0, withdrawals: 0 };
      return handled(ctx, { seq: 0 }, data);
    },
    async deposit(ctx, request) {
      const state = await ctx.get('wallet');
      if (!state || state.data.status !== 'open') return rejected(state, 'PRECONDITION_FAILED', 'the wallet is not open');
      const d = state.data;
      return handled(ctx, state, { ...d, balance: d.balance + request.amount, deposits: d.deposits + 1 });
    },
    async withdraw(ctx, request) {
      const state = await ctx.get('wallet');
      if (!state || state.data.status !== 'open') return rejected(state, 'PRECONDITION_FAILED', 'the wallet is not open');
      const d = state.data;
      if (request.sender !== d.owner) {
        // The engine records a rejected event as handled (its seq moves on); do the same here.
        const next = { seq: state.seq + 1, data: d };
        ctx.set('wallet', next);
        return { ...rejected(next, 'ACCESS_DENIED', 'only the owner withdraws') };
      }
      if (d.balance >= request.amount) return handled(ctx, state, { ...d, balance: d.balance - request.amount, withdrawals: d.withdrawals + 1 });
      return handled(ctx, state, d); // WithdrawalRejected is an applied outcome of the journey too
    },
    get: restate.handlers.object.shared(async (ctx) => (await ctx.get('wallet')) ?? null),
  },
});

const port = Number(process.argv[2] ?? process.env.PORT ?? 9080);
const server = http2.createServer(restate.createEndpointHandler({ services: [wallet] }));
server.listen(port, '127.0.0.1', () => process.stdout.write(`wallet service listening on 127.0.0.1:${port}\n`));
const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
