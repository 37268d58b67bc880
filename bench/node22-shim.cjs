// PostGraphile 5 asks for Node 22 and uses one thing Node 20 lacks:
// Promise.withResolvers (ES2024).  bench/run preloads this file
// (node --require) when Node is older than 22; it defines nothing else.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
