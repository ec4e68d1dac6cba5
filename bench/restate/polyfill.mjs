// Node 20 lacks Promise.withResolvers (Node 22 has it); @restatedev/restate-sdk >= 1.14.5 calls it
// on every invocation. Loaded with `node --import ./polyfill.mjs` before the SDK.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
